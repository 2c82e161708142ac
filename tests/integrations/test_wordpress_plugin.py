"""The WordPress must-use plugin's PHP, run by PHP against stubs of WordPress and of the Akismet plugin 5.0
(``wordpress_stubs.php``; the steps are in ``wordpress_scenarios.php``): where it sends the Akismet plugin's
calls, which comment a record is linked to, which of the admin's changes it reports, and what it keeps when
the service does not take a report. The same code was run on a real WordPress 6.1.9 (README, *Decisions into
WordPress*); these tests keep it that way. ``scripts/test`` installs PHP's command line with chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from moderation_service.integrations import wordpress_mu_plugin

HERE = Path(__file__).parent
SERVICE = "https://moderation.example/api"
GUID = "kommblog:aaaaaaaaaaaaaaaa"
THANKS = "Thanks for making the web a better place."


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("php"), "PHP's command line is needed (scripts/test installs php-cli)"
    path = tmp_path_factory.mktemp("mu-plugins") / "moderation-service.php"
    path.write_text(wordpress_mu_plugin(SERVICE), encoding="utf-8")
    lint = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    return path


def run(plugin: Path, scenario: str) -> dict[str, Any]:
    done = subprocess.run(["php", "-d", "error_reporting=E_ALL", "-d", "display_errors=stderr",
                           str(HERE / "wordpress_stubs.php"), str(plugin), scenario],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "PHP " not in done.stderr, done.stderr  # no notice, warning or error
    return {**json.loads(done.stdout), "log": done.stderr}


def paths(ran: dict[str, Any]) -> list[str]:
    return [call["path"] for call in ran["calls"]]


def test_the_akismet_plugins_calls_go_to_the_service(plugin: Path) -> None:
    ran = run(plugin, "route_check")
    [call] = ran["calls"]
    assert call["url"] == f"{SERVICE}/1.1/comment-check"
    assert "Host" not in call["headers"] and call["timeout"] == 5  # at most MODERATION_SERVICE_TIMEOUT
    assert call["fields"]["api_key"] == "0a1b2c3d4e5f" and call["fields"]["comment_post_ID"] == "4"
    assert ran["result"] == [{"x-akismet-guid": GUID}, "true"]


def test_other_requests_are_left_alone(plugin: Path) -> None:
    ran = run(plugin, "not_akismet")
    assert ran["result"] is False and ran["calls"] == []


def test_a_service_that_cannot_be_reached_fails_fast(plugin: Path) -> None:
    """Each call is tried once (the Akismet plugin's retries fail at once), and none after two failures."""
    ran = run(plugin, "down_fails_fast")
    assert ran["result"] == [["", ""]] * 3
    assert [call["fields"]["comment_post_ID"] for call in ran["calls"]] == ["4", "5"]


def test_a_stored_comment_is_linked_to_its_record(plugin: Path) -> None:
    ran = run(plugin, "link_new_comment")
    assert ran["meta"] == {"51": {"moderation_service_id": GUID}}  # 52 had no check of its own
    assert paths(ran) == ["/api/1.1/comment-check", "/api/1.1/comment-stored"]
    stored = ran["calls"][1]["fields"]
    assert (stored["id"], stored["comment_ID"], stored["status"]) == (GUID, "51", "spam")


def test_a_comment_trashed_as_it_was_stored_says_so(plugin: Path) -> None:
    ran = run(plugin, "link_trashed_comment")
    assert ran["calls"][1]["fields"]["status"] == "trash"


def test_a_failed_check_links_nothing(plugin: Path) -> None:
    """Comment A checked and then refused by WordPress, B's check failed: B is not A's record."""
    ran = run(plugin, "no_link_after_a_failed_check")
    assert not ran["meta"] and "/api/1.1/comment-stored" not in paths(ran)


def test_a_comment_on_another_post_or_under_another_parent_is_not_linked(plugin: Path) -> None:
    ran = run(plugin, "no_link_to_another_post_or_parent")
    assert not ran["meta"] and "/api/1.1/comment-stored" not in paths(ran)


def test_later_calls_about_a_linked_comment_name_its_record(plugin: Path) -> None:
    ran = run(plugin, "later_calls_name_the_record")
    ham, spam = ran["calls"]
    assert ham["fields"]["moderation_service_id"] == "kommblog:bbbbbbbbbbbbbbbb"
    assert "moderation_service_id" not in spam["fields"]


def test_the_admins_changes_the_akismet_plugin_does_not_report_are_reported(plugin: Path) -> None:
    ran = run(plugin, "statuses_reported")
    sent = [(call["fields"]["comment_ID"], call["fields"].get("status"), call["fields"]["reporter"])
            for call in ran["calls"]]
    # approved from pending, unapproved from approved, trash from anywhere, restored out of the trash; not:
    # into or out of spam (the Akismet plugin's), no change, and deletion (reported by delete_comment)
    assert [item for item, path in zip(sent, paths(ran), strict=True) if path == "/api/1.1/submit-status"] == [
        ("70", "approved", "admin"), ("72", "unapproved", "admin"), ("74", "trash", "admin"),
        ("75", "trash", "admin"), ("76", "unapproved", "admin")]
    # the moves into and out of spam: the Akismet plugin's reports alone, none twice
    assert [(call["path"], call["fields"]["comment_ID"]) for call in ran["calls"]
            if call["path"] != "/api/1.1/submit-status"] == [
        ("/api/1.1/submit-ham", "71"), ("/api/1.1/submit-ham", "73"), ("/api/1.1/submit-spam", "78")]


def test_moves_across_the_spam_folder_the_akismet_plugin_does_not_report_are_reported(plugin: Path) -> None:
    """The Akismet plugin reports a move into or out of spam only when the request looks like its admin's
    *Spam* / *Not Spam*: an approval through a moderation e-mail's link, or a change through XML-RPC, would
    never reach the service (a held comment would wait here for good). They are reported as it would."""
    ran = run(plugin, "spam_moves_the_akismet_plugin_leaves")
    sent = [(call["path"].rsplit("/", 1)[1], call["fields"]["comment_ID"], call["fields"]["reporter"])
            for call in ran["calls"]]
    assert sent == [("submit-ham", "180", "admin"), ("submit-spam", "181", "admin"), ("submit-ham", "182", "admin"),
                    ("submit-ham", "185", "admin"),  # service down: tried once, kept below
                    ("submit-ham", "186", "admin"), ("submit-spam", "187", "admin")]  # the Akismet plugin's, once
    first = ran["calls"][0]["fields"]
    assert first["comment_content"] == "Wie getippt" and first["user_ip"] == "198.51.100.9"  # as first checked
    assert kept(ran) == {"185": {"call": "submit-ham", "status": "", "reporter": "admin", "attempts": 0}}


def test_a_deletion_is_reported_with_the_comment_as_first_checked(plugin: Path) -> None:
    """Not the Akismet plugin's daily clean-up, which runs as cron."""
    ran = run(plugin, "deletions_reported")
    [call] = ran["calls"]
    fields = call["fields"]
    assert fields["status"] == "delete" and fields["comment_ID"] == "80"
    assert fields["comment_content"] == "Wie getippt" and fields["user_ip"] == "198.51.100.9"  # as submitted
    assert "not_allowed_here" not in fields and fields["POST_ak_js"] == "123"
    assert fields["blog"] == "https://kommblog.example" and fields["blog_lang"] == "de_DE"


def test_changes_by_those_who_may_not_moderate_or_by_a_recheck_are_not_reported(plugin: Path) -> None:
    assert run(plugin, "not_reported_without_the_right_to_moderate")["calls"] == []


def test_a_comment_is_not_linked_where_the_service_did_not_take_the_link(plugin: Path) -> None:
    """A record that is another comment's (two that read alike), or a call that failed: no meta, so the
    comment's later calls are about the record its identity gives."""
    ran = run(plugin, "no_link_where_the_service_did_not_take_it")
    assert paths(ran).count("/api/1.1/comment-stored") == 2 and not ran["meta"]


def kept(ran: dict[str, Any]) -> dict[str, Any]:
    return {comment: meta["moderation_service_unsent"] for comment, meta in (ran["meta"] or {}).items()
            if "moderation_service_unsent" in meta}


def test_the_last_report_the_service_did_not_take_is_kept_with_its_comment(plugin: Path) -> None:
    ran = run(plugin, "reports_not_taken_are_kept_with_their_comment")
    assert kept(ran) == {"100": {"call": "submit-status", "status": "trash", "reporter": "admin", "attempts": 0}}
    assert ran["cron"] == ["moderation_service_resend"]


def test_a_report_answered_503_is_kept_and_one_refused_is_not(plugin: Path) -> None:
    """503: the service's Redis is away, so it is sent again; ``invalid``: sending it again would not help."""
    assert kept(run(plugin, "a_report_answered_503_is_kept")) == {
        "101": {"call": "submit-status", "status": "approved", "reporter": "admin", "attempts": 0}}
    refused = run(plugin, "a_report_refused_is_not_kept")
    assert kept(refused) == {} and refused["cron"] == []


def test_the_akismet_plugins_reports_not_taken_are_kept_too(plugin: Path) -> None:
    """The Akismet plugin does not send a failed *Spam* / *Not Spam* again: each is kept, one answered 503,
    and every one of a bulk action, also those that fail at once after two failures in the page load."""
    ran = run(plugin, "the_akismet_plugins_reports_not_taken_are_kept")
    assert {comment: unsent["call"] for comment, unsent in kept(ran).items()} == {
        "110": "submit-spam", "111": "submit-spam", "112": "submit-spam", "113": "submit-ham"}
    assert [call["fields"]["comment_ID"] for call in ran["calls"]] == ["113", "110", "111"]  # 112 failed at once


def test_cron_sends_each_kept_report_as_the_comment_is_now(plugin: Path) -> None:
    ran = run(plugin, "kept_reports_are_sent_by_cron")
    attempts, kept_after_20_answers, rescheduled, deletion_attempts = ran["result"]
    assert (attempts, kept_after_20_answers, rescheduled, deletion_attempts) == (1, False, True, 1)
    assert ran["log"] == "moderation service: a kept report was answered 20 times without being taken; dropped\n"
    sent = [(call["path"], call["fields"].get("comment_ID"), call["fields"].get("status")) for call in ran["calls"]]
    assert sent == [("/api/1.1/submit-status", "120", "approved"), ("/api/1.1/submit-status", "122", "delete")]
    first = ran["calls"][0]["fields"]
    assert first["comment_content"] == "Wie getippt" and first["reporter"] == "admin"
    assert first["moderation_service_id"] == "kommblog:cccccccccccccccc"  # the record, named
    deletion = ran["calls"][1]["fields"]
    assert deletion["moderation_service_id"] == "kommblog:dddddddddddddddd" and "comment_content" not in deletion
    assert not kept(ran) and not [name for name in ran["options"] if name.startswith("moderation_service_unsent")]
    assert ran["cron"] == []  # nothing left: not scheduled again


def test_a_service_still_down_stops_the_run_and_counts_nothing(plugin: Path) -> None:
    """An outage outlasting 20 runs must not drop what it was kept for."""
    ran = run(plugin, "a_service_still_down_counts_nothing")
    assert len(ran["calls"]) == 1  # the first call got no answer: nothing more is tried
    assert {comment: unsent["attempts"] for comment, unsent in kept(ran).items()} == {"150": 19, "151": 19}
    assert ran["options"]["moderation_service_unsent_deletion_152"]["attempts"] == 0
    assert ran["cron"] == ["moderation_service_resend"]


def test_a_kept_report_the_comment_no_longer_stands_by_is_dropped(plugin: Path) -> None:
    """A *Spam* kept, then the comment approved in a way nobody reported: the *Spam* is not sent."""
    ran = run(plugin, "a_kept_report_the_comment_no_longer_stands_by_is_dropped")
    assert ran["calls"] == [] and kept(ran) == {}


def test_a_kept_report_replaced_during_the_resend_is_not_written_back(plugin: Path) -> None:
    ran = run(plugin, "a_kept_report_replaced_during_the_resend_stays_replaced")
    assert kept(ran) == {"160": {"call": "submit-status", "status": "trash", "reporter": "admin", "attempts": 0}}
    # 161's newer report was taken meanwhile: the resent one is not written back either


def test_any_status_change_replaces_a_kept_report(plugin: Path) -> None:
    assert kept(run(plugin, "any_status_change_replaces_a_kept_report")) == {}


def test_a_deletion_not_taken_is_kept_by_its_records_id_alone(plugin: Path) -> None:
    """The comment and its meta go: the deletion is kept in an option of its own, with no text and no login;
    a comment never linked is known to the service only by its text, and its deletion is not kept."""
    ran = run(plugin, "a_deletion_not_taken_is_kept_by_its_record")
    deletions = {name: value for name, value in ran["options"].items() if name.startswith("moderation_service_unsent")}
    assert deletions == {
        "moderation_service_unsent_deletion_130": {"moderation_service_id": "kommblog:eeeeeeeeeeeeeeee", "attempts": 0}}


def test_the_statistics_view_leads_back_to_the_settings(plugin: Path) -> None:
    ran = run(plugin, "statistics_view_leads_back")
    assert ran["redirect"] == "https://kommblog.example/wp-admin/options-general.php?page=akismet-key-config"
    assert ran["result"] is None  # it exited after redirecting


def erasures(ran: dict[str, Any]) -> list[dict[str, str]]:
    return [call["fields"] for call in ran["calls"] if call["path"] == "/api/1.1/erase-personal-data"]


def test_the_eraser_runs_before_wordpresss_own_comment_eraser(plugin: Path) -> None:
    """WordPress's comment eraser empties the comments' address, by which this one finds them: it must run first."""
    assert run(plugin, "erasers_in_order")["result"] == ["moderation-service", "wordpress-comments"]


def test_the_eraser_asks_the_service_to_erase_each_of_the_persons_comments(plugin: Path) -> None:
    ran = run(plugin, "erasure_of_a_persons_comments")
    pages = ran["result"]["moderation-service"]
    assert pages == [{"items_removed": True, "items_retained": False, "messages": [], "done": False},
                     {"items_removed": True, "items_retained": False, "messages": [], "done": True}]
    sent = erasures(ran)
    # every status (the spam folder, where held comments wait, and the trash too), not another person's, and
    # not a comment without text (never checked, so never kept there)
    assert [fields["comment_ID"] for fields in sent] == ["200", "201", *map(str, range(204, 254))]
    linked, unlinked = sent[0], sent[1]
    assert linked == {"blog": "https://kommblog.example", "comment_ID": "200", "api_key": "0a1b2c3d4e5f",
                      "moderation_service_id": "kommblog:ffffffffffffffff"}  # the record's id: no personal data sent
    assert unlinked["comment_content"] == "Wie getippt" and unlinked["comment_author_email"] == "Jana@Example.org"
    assert "moderation_service_id" not in unlinked and "is_test" not in unlinked
    assert not kept_erasures(ran)


def kept_erasures(ran: dict[str, Any]) -> dict[str, str]:
    return {comment: meta["moderation_service_unsent_erasure"] for comment, meta in (ran["meta"] or {}).items()
            if "moderation_service_unsent_erasure" in meta}


def test_an_eraser_that_cannot_reach_the_service_claims_nothing(plugin: Path) -> None:
    """WordPress shows the message and that data was retained, so the admin runs the erasure again."""
    ran = run(plugin, "erasure_while_the_service_is_down")
    [page], address = ran["result"]
    assert page["items_removed"] is False and page["items_retained"] is True and page["done"] is True
    [message] = page["messages"]
    assert "2 of this person's comments" in message and "could not be reached" in message
    assert "run this erasure again" in message.lower()
    kept = kept_erasures(ran)
    assert list(kept) == ["210", "211"] and kept["210"] == kept["211"]
    assert "jana" not in kept["210"]  # a keyed hash of the address, not the address
    assert address == ""  # WordPress's own eraser ran after it: the address is gone from the approved comment
    assert ran["cron"] == ["moderation_service_resend"]


def test_a_second_run_finds_what_the_first_could_not_erase(plugin: Path) -> None:
    """WordPress's own eraser has emptied the approved comment's address: it is found by what was kept with it."""
    ran = run(plugin, "erasure_run_again")
    assert ran["result"] == [{"items_removed": True, "items_retained": False, "messages": [], "done": True}]
    assert [fields["comment_ID"] for fields in erasures(ran)] == ["210", "211"]
    assert list(kept_erasures(ran)) == ["214"]  # someone else's


def test_an_erasure_the_service_refuses_says_why(plugin: Path) -> None:
    ran = run(plugin, "erasure_refused_by_the_service")
    page = ran["result"]
    assert page["items_retained"] is True and page["items_removed"] is False
    assert "refused the call (Invalid key: send one of this service's blog API keys)" in page["messages"][0]
    assert list(kept_erasures(ran)) == ["212"]


def test_comments_the_service_keeps_nothing_of_are_neither_removed_nor_retained(plugin: Path) -> None:
    ran = run(plugin, "erasure_of_comments_the_service_does_not_know")
    assert ran["result"] == {"items_removed": False, "items_retained": False, "messages": [], "done": True}
    assert len(erasures(ran)) == 1 and not kept_erasures(ran)


def test_cron_sends_each_kept_erasure_until_the_service_takes_it(plugin: Path) -> None:
    ran = run(plugin, "kept_erasures_are_sent_by_cron")
    assert ran["result"] == [True, True]  # answered 503: kept, and tried again later
    assert [fields["moderation_service_id"] for fields in erasures(ran)] == ["kommblog:ffffffffffffffff"] * 2
    assert not kept_erasures(ran) and ran["cron"] == []
