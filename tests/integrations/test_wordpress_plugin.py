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
    assert done.returncode == 0 and not done.stderr, done.stderr
    return json.loads(done.stdout)


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
    sent = [(call["fields"]["comment_ID"], call["fields"]["status"], call["fields"]["reporter"])
            for call in ran["calls"]]
    # approved from pending, unapproved from approved, trash from anywhere, restored out of the trash; not:
    # into or out of spam (the Akismet plugin's), no change, and deletion (reported by delete_comment)
    assert sent == [("70", "approved", "admin"), ("72", "unapproved", "admin"), ("74", "trash", "admin"),
                    ("75", "trash", "admin"), ("76", "unapproved", "admin")]
    assert set(paths(ran)) == {"/api/1.1/submit-status"}


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


def test_a_report_the_service_did_not_take_is_not_sent_again(plugin: Path) -> None:
    """Tried once (the Akismet plugin's retries of it fail at once); nothing kept, nothing scheduled."""
    ran = run(plugin, "a_failed_report_is_not_sent_again")
    assert paths(ran) == ["/api/1.1/submit-status"]
    assert "moderation_service_unsent" not in ran["options"] and ran["cron"] == []


def test_the_statistics_view_leads_back_to_the_settings(plugin: Path) -> None:
    ran = run(plugin, "statistics_view_leads_back")
    assert ran["redirect"] == "https://kommblog.example/wp-admin/options-general.php?page=akismet-key-config"
    assert ran["result"] is None  # it exited after redirecting
