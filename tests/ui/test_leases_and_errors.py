"""What the queue page does over time and when things go wrong: leases, idling, leaving, refusals, hostile text."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import urllib.parse
from datetime import datetime
from typing import Any

import pytest
import redis as sync_redis
from playwright.sync_api import APIRequestContext, Locator, Page, expect

from moderation_service.appkeys import QUEUE
from moderation_service.review import keys
from moderation_service.settings import Settings
from moderation_service.ui.resources import UiOptions
from tests.conftest import auth
from tests.ui.conftest import COMMENT, EMPTY, Asked, Console, LiveApp, Routed, hold, review_item, sign_in

SHORT_LEASE = 10  # the shortest lease the service accepts: the page renews it every 3.3 s


@pytest.fixture
def ui_settings(ui_settings: Settings) -> Settings:
    return ui_settings.with_overrides(review_lease_seconds=SHORT_LEASE)


def claim_expiry(api: APIRequestContext, item_id: str) -> float:
    claim = review_item(api, item_id)["claim"]
    return 0.0 if claim is None else datetime.fromisoformat(claim["expires_at"]).timestamp()


def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_leases_are_renewed_on_screen_and_given_back_on_leaving(page: Page, api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    first = claim_expiry(api, item_id)
    eventually(lambda: claim_expiry(api, item_id) >= first + 3)  # renewed while the moderator reads
    assert review_item(api, item_id)["claim"]["by"] == "mod"
    page.goto("about:blank")
    eventually(lambda: review_item(api, item_id)["claim"] is None)


def test_a_reloaded_page_takes_back_what_the_page_before_it_held(page: Page, api: APIRequestContext) -> None:
    """A page that crashed never gives its comments back, and the release a page sends as it goes may reach
    the service after the next page's claim: the next page in the same tab gives back what the page before it
    held, then claims, instead of saying they are being reviewed in another window."""
    ids = [hold(api, n) for n in range(2)]
    # as in a crash: the page goes without a word
    page.add_init_script("""
        const addEventListener = window.addEventListener.bind(window);
        window.addEventListener = (type, ...rest) => type === 'pagehide' || addEventListener(type, ...rest);
    """)
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(2)
    page.reload()
    expect(page.locator("#cards > li")).to_have_count(2)
    expect(page.locator("#status")).to_have_text("2 Kommentare zur Prüfung übernommen.")
    assert {review_item(api, item_id)["claim"]["by"] for item_id in ids} == {"mod"}


def test_a_duplicated_tab_leaves_alone_what_the_tab_it_copies_shows(page: Page, api: APIRequestContext) -> None:
    """A duplicated tab starts with a copy of the session storage: it must not give back what the original
    tab still shows (the pages ask each other first)."""
    ids = [hold(api, n) for n in range(2)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(2)
    copy = page.context.new_page()
    copy.add_init_script(f"sessionStorage.setItem('moderation.held', '{json.dumps(ids)}')")
    copy.goto("/moderate")
    expect(copy.locator("#empty-text")).to_contain_text("in einem anderen Fenster")
    expect(copy.locator("#cards > li")).to_have_count(0)
    assert {review_item(api, item_id)["claim"]["by"] for item_id in ids} == {"mod"}
    expect(page.locator("#cards > li")).to_have_count(2)
    page.keyboard.press("a")  # the original goes on deciding
    expect(page.locator("#cards > li")).to_have_count(1)
    assert review_item(api, ids[0])["status"] == "approved"


@pytest.mark.parametrize("ui_options", [UiOptions(idle_release_seconds=2)])
def test_an_idle_page_gives_its_comments_back_and_resumes_on_a_key(page: Page, api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Pausiert: Nach 0 Minuten ohne Eingabe", timeout=10_000)
    expect(page.locator("#cards > li")).to_have_count(0)
    assert review_item(api, item_id)["claim"] is None
    page.keyboard.press("j")
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    assert review_item(api, item_id)["claim"]["by"] == "mod"


IDLE_MS = UiOptions().idle_release_seconds * 1000
POLL_MS = UiOptions().empty_poll_seconds * 1000


def test_an_empty_queue_is_asked_again_on_the_pages_clock(page: Page, api: APIRequestContext) -> None:
    """The control of the next test: with the page's timers at their defaults and its clock moved on by the
    test (the clock runs on in real time too, but one poll's 30 s is longer than this test waits), an empty
    queue's page asks again after one poll's time and shows what came. Fails if polling were never scheduled."""
    claims = Asked(page, "/v1/review/claims")
    page.clock.install()
    sign_in(page)
    expect(page.locator("#status")).to_have_text(EMPTY)
    item_id = hold(api, 1)
    asked = claims.count()
    page.clock.run_for(POLL_MS)
    assert claims.count() > asked
    expect(page.locator(f'li[data-id="{item_id}"] .card')).to_be_visible()


def test_an_idle_page_on_an_empty_queue_claims_nothing_new(page: Page, api: APIRequestContext) -> None:
    """Nobody at the page (its clock moved past the idle time, as when a laptop sleeps): the next poll pauses the
    page instead of claiming, and a paused page does not poll: in the time the page of the test above asks again
    (and more), it asks for nothing, and a comment that comes meanwhile is not claimed until a click."""
    claims = Asked(page, "/v1/review/claims")
    page.clock.install()
    sign_in(page)
    expect(page.locator("#status")).to_have_text(EMPTY)
    page.clock.fast_forward(IDLE_MS + POLL_MS)  # the poll that was due runs once, at the end: nobody was there
    expect(page.locator("#status")).to_contain_text("Pausiert")
    item_id = hold(api, 1)
    asked = claims.count()
    page.clock.run_for(2 * POLL_MS)
    assert claims.count() == asked
    assert review_item(api, item_id)["claim"] is None
    page.mouse.click(5, 300)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    assert claims.count() == asked + 1


def test_a_comment_taken_by_someone_else_is_explained_and_removed(
    page: Page, api: APIRequestContext, live: LiveApp
) -> None:
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(2)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(2)
    # The moderator's lease on the first comment runs out (a laptop asleep) and another moderator takes it.
    live.call(live.app[QUEUE].claim(ids[0], "mod", lease_seconds=0.05))
    time.sleep(0.1)
    assert api.post(f"/v1/review/items/{ids[0]}/claim", headers=auth("admin")).status == 200
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(
        "Den Kommentar von Person 0 bearbeitet inzwischen ops; er wurde aus deiner Liste entfernt.")
    expect(page.locator(f'li[data-id="{ids[0]}"]')).to_have_count(0)
    expect(page.locator(f'li[data-id="{ids[1]}"] .card')).to_be_focused()
    assert review_item(api, ids[0])["claim"]["by"] == "ops"
    page.get_by_role("button", name="Schließen").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("")
    expect(page.locator(f'li[data-id="{ids[1]}"] .card')).to_be_focused()  # not the top of the page


EDITED = "Du bist ein widerlicher Lügner und dummer Idiot, halt dein dreckiges Maul"


def held_on_screen(page: Page, api: APIRequestContext) -> tuple[str, Locator]:
    """A held comment (the blog's "ui-1") and its card, shown to the signed-in moderator."""
    item_id = hold(api, 1)
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"]')
    expect(card.locator(".content")).to_contain_text("Du bist ein dummer Idiot")
    return item_id, card


def edit(api: APIRequestContext) -> Any:
    """The blog sends the comment again, edited: its answer."""
    body = {**COMMENT, "comment_id": "ui-1", "content": EDITED}
    return api.post("/v1/comments", data=body, headers=auth("blog")).json()


def edit_shown_and_nothing_decided(page: Page, api: APIRequestContext, card: Locator, item_id: str) -> None:
    expect(card.locator(".content")).to_have_text(EDITED)
    expect(page.get_by_role("alert")).to_contain_text("bearbeitet")
    item = review_item(api, item_id)
    assert item["status"] == "pending" and item["claim"]["by"] == "mod"


def test_an_edit_is_shown_when_the_lease_is_renewed(page: Page, api: APIRequestContext) -> None:
    item_id, card = held_on_screen(page, api)
    edit(api)
    # Within a renewal (a third of the lease), without any key pressed, the card shows what the comment says now.
    expect(card.locator(".content")).to_have_text(EDITED, timeout=SHORT_LEASE * 1000)
    expect(page.locator("#status")).to_have_text(
        "Der Kommentar von Jana Weber wurde bearbeitet: Er zeigt jetzt den neuen Text.")
    expect(card.locator(".card")).to_be_focused()
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("Kommentar von Jana Weber abgelehnt.")
    assert api.get(f"/v1/comments/{item_id}", headers=auth("blog")).json()["status"] == "rejected"


def test_an_expired_lease_is_claimed_again_before_deciding(page: Page, api: APIRequestContext, live: LiveApp) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    live.call(live.app[QUEUE].claim(item_id, "mod", lease_seconds=0.05))
    time.sleep(0.1)
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("Kommentar von Jana Weber abgelehnt.")
    assert api.get(f"/v1/comments/{item_id}", headers=auth("blog")).json()["status"] == "rejected"


def test_a_comment_edited_while_the_lease_had_expired_is_shown_before_any_decision_counts(
    page: Page, api: APIRequestContext, live: LiveApp
) -> None:
    """Claiming again after a lease ran out hands over the comment as it is now: when the blog edited it
    meanwhile, the decision taken for the old text must not be applied to the new one unseen."""
    item_id, card = held_on_screen(page, api)
    live.call(live.app[QUEUE].claim(item_id, "mod", lease_seconds=0.05))  # a laptop asleep
    time.sleep(0.1)
    edited = edit(api)
    assert edited["decision"] == "hold" and edited["revision"] == 2
    page.keyboard.press("a")
    edit_shown_and_nothing_decided(page, api, card, item_id)
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("Kommentar von Jana Weber abgelehnt.")
    assert api.get(f"/v1/comments/{item_id}", headers=auth("blog")).json()["status"] == "rejected"


def test_a_decision_on_screen_is_not_applied_to_an_edit_the_lease_renewal_just_took(
    page: Page, api: APIRequestContext, live: LiveApp
) -> None:
    """A renewal hands over the comment as it is now; between its answer and the card showing it, a key press
    decides on the text on screen, and the service must not apply it to the new one."""
    item_id, card = held_on_screen(page, api)
    edit(api)
    live.call(live.app[QUEUE].claim(item_id, "mod", lease_seconds=SHORT_LEASE))  # the renewal, its answer not in
    page.keyboard.press("a")
    edit_shown_and_nothing_decided(page, api, card, item_id)


def test_an_ended_session_asks_to_sign_in_again(
    page: Page, api: APIRequestContext, flushed_redis: sync_redis.Redis
) -> None:
    item_id = hold(api, 1)
    sign_in(page, path="/moderate?order=risk")
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    for key in flushed_redis.scan_iter(keys.session("*")):  # what the session's expiry does
        flushed_redis.delete(key)
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(
        "Nicht entschieden: der Kommentar von Jana Weber. Deine Sitzung ist abgelaufen. Bitte melde dich neu an.")
    link = page.get_by_role("link", name="Neu anmelden")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("status")).to_have_text("Deine Sitzung ist abgelaufen. Bitte melde dich neu an.")
    page.get_by_label("Schlüssel").fill("moderator-key-all-sites-000003")
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(re.compile(r"/moderate\?order=risk$"))


def test_hostile_comment_text_stays_text(page: Page, api: APIRequestContext) -> None:
    content = ('<img src=x onerror="window.pwned=1"><script>window.pwned=2</script> '
               'Du Idiot, halt dein Maul, du widerlicher Lügner')
    item_id = hold(api, 1, content=content, author_name="<b>Mallory</b>", author_url="javascript:window.pwned=3",
                   permalink="data:text/html,<script>1</script>", author_email="x@y<script>")
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"] .card')
    expect(card.locator(".content")).to_have_text(content)
    expect(card.locator(".author")).to_have_text("Kommentar von <b>Mallory</b>")
    assert card.locator("img, script, b").count() == 0
    expect(card.locator(".author-url")).to_have_text(
        "javascript:window.pwned=3 (kein http(s)-Link, daher nicht verlinkt)")
    assert card.locator(".author-url a, .post a").count() == 0
    card.locator(".author-url").click()
    assert page.evaluate("window.pwned") is None


def test_an_e_mail_address_links_to_that_address_and_adds_nothing_to_the_mail(page: Page,
                                                                              api: APIRequestContext) -> None:
    """A mailto: link takes recipients and text from its query (``?bcc=…&body=…``): an address a commenter
    typed must not add a hidden recipient, or words, to the mail a moderator writes them."""
    hostile = "jana@example.org?bcc=mallory%40evil.example&body=Mein%20Passwort"
    plain = hold(api, 1, author_email="kai+blog@example.org")
    crafted = hold(api, 2, author_email=hostile, author_name="Mallory")
    sign_in(page)
    plain_link = page.locator(f'li[data-id="{plain}"] .author-email a')
    expect(plain_link).to_have_text("kai+blog@example.org")
    crafted_email = page.locator(f'li[data-id="{crafted}"] .author-email')
    expect(crafted_email).to_have_text(hostile)
    mailto = "(link) => { const url = new URL(link.href); return [url.pathname, url.search, url.hash]; }"
    assert plain_link.evaluate(mailto) == ["kai+blog@example.org", "", ""]
    link = crafted_email.locator("a")
    expect(link).to_have_count(1)  # what was typed, as one address
    path, query, fragment = link.evaluate(mailto)
    assert (query, fragment) == ("", ""), link.get_attribute("href")
    assert urllib.parse.unquote(path) == hostile


def test_help_lists_the_shortcuts(page: Page) -> None:
    sign_in(page)
    dialog = page.get_by_role("dialog", name="Tastenkürzel")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Nächster Kommentar")
    expect(dialog).to_contain_text("Aktuellen Kommentar für eine Sammelaktion aus- oder abwählen")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name=re.compile("^Tastenkürzel")).click()
    expect(dialog).to_be_visible()
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()


def test_filters_claim_only_what_matches(page: Page, api: APIRequestContext) -> None:
    on_a = [hold(api, n, post_id="post-a") for n in range(2)]
    on_b = hold(api, 9, post_id="post-b", author_name="Bernd")
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(3)
    page.get_by_label("Beitrag (ID)").fill("post-b")
    page.get_by_label("Reihenfolge").select_option("risk")
    page.get_by_label("Blog").select_option(label="Kommunikationsblog")
    page.get_by_role("button", name="Anwenden").click()
    expect(page).to_have_url(re.compile(r"/moderate\?site_id=kommblog&order=risk&post=post-b&reason=$"))
    expect(page.locator("#cards > li")).to_have_count(1)
    expect(page.locator(f'li[data-id="{on_b}"]')).to_be_visible()
    assert [review_item(api, i)["claim"] for i in on_a] == [None, None]  # given back before the reload
    expect(page.get_by_label("Beitrag (ID)")).to_have_value("post-b")


@pytest.mark.parametrize("ui_options", [UiOptions(empty_poll_seconds=1)])
def test_an_empty_queue_shows_new_comments_by_itself(page: Page, api: APIRequestContext) -> None:
    sign_in(page)
    expect(page.locator("#status")).to_have_text(EMPTY)
    expect(page.locator("#empty")).to_be_visible()
    item_id = hold(api, 1)
    expect(page.locator(f'li[data-id="{item_id}"] .card')).to_be_visible(timeout=5000)
    expect(page.locator("#empty")).to_be_hidden()
    expect(page.locator("#depth")).to_have_text("1 Kommentar wartet")


def test_cards_draw_every_kind_of_reason_and_highlight_spans(page: Page) -> None:
    """The renderer alone, in the page: signals with character offsets (code points, emoji included)."""
    sign_in(page)
    item = {
        "id": "kommblog:aaaaaaaaaaaaaaaa", "site_id": "kommblog", "received_at": "2026-11-26T09:00:00.000Z",
        "comment": {"content": "🙂 Kauf jetzt: http://spam.example <b> du Depp", "author_name": "Bot"},
        "scores": {"spam": 0.93, "insult": 0.02},
        "reasons": [
            {"kind": "score", "name": "spam", "value": 0.93, "threshold": 0.5, "effect": "spam"},
            # A score's words with their weights: under half the strongest one's, a word is marked light.
            {"kind": "score", "name": "insult", "value": 0.6, "threshold": 0.5, "effect": "hold",
             "phrases": [{"text": "Depp", "start": 41, "end": 45, "weight": 2.1},
                         {"text": "du", "start": 38, "end": 40, "weight": 0.5}],
             "spans": [[41, 45], [38, 40]]},
            {"kind": "signal", "name": "links", "spam": 1.25, "hold": 0.5, "evidence": {}, "spans": [[14, 33]]},
            {"kind": "signal", "name": "shouting", "spam": 0, "hold": -0.25, "spans": [[2, 6], [4, 12], [90, 99]]},
            {"kind": "review", "name": "signals", "value": 1.5, "threshold": 1, "effect": "hold"},
        ],
        "author_history": {"approved": 0, "rejected": 2, "spam": 1},
    }
    drawn = page.evaluate("""async (item) => {
        const { CardRenderer } = await import('/moderate/static/cards.js');
        const strings = JSON.parse(document.getElementById('moderate-config').textContent).strings;
        const card = new CardRenderer(document.getElementById('card-template'), strings, 'de').render(item, 99);
        return {
            marks: Array.from(card.querySelectorAll('.content mark'), (m) => [m.textContent, m.title, m.className]),
            content: card.querySelector('.content').textContent,
            reasons: Array.from(card.querySelectorAll('.reasons li'), (li) => li.textContent),
            scores: Array.from(card.querySelectorAll('.score'), (li) => li.textContent),
            history: card.querySelector('.history').textContent,
            html: card.querySelector('.content').innerHTML,
        };
    }""", item)
    assert drawn["content"] == item["comment"]["content"]
    assert drawn["marks"] == [["Kauf jetzt", "Markiert von: shouting", "strong"],
                              ["http://spam.example", "Markiert von: Links", "strong"],
                              ["du", "Markiert von: Beleidigung", "light"],
                              ["Depp", "Markiert von: Beleidigung", "strong"]]
    assert "<b>" not in drawn["html"] and "&lt;b&gt;" in drawn["html"]
    assert drawn["reasons"] == [
        "Spam 93\u00a0% ≥ Schwelle 50\u00a0%: als Spam eingestuft",
        # each with the words it marked (in order, each once; not a span outside the text), listed as a signal's
        # evidence lists them
        "Beleidigung 60\u00a0% ≥ Schwelle 50\u00a0%: zur Prüfung Markiert: „Depp“ und „du“",
        "Signal „Links“: Spam +1,25, Prüfpunkte +0,5 Markiert: „http://spam.example“",
        # a name without a translation is shown as it is
        "Signal „shouting“: Spam 0, Prüfpunkte -0,25 Markiert: „Kauf“ und „uf jetzt“",
        "Prüfpunkte der Signale 1,5 ≥ Schwelle 1: zur Prüfung",
    ]
    assert drawn["scores"] == ["Spam 93\u00a0%", "Beleidigung 2\u00a0%"]
    assert drawn["history"] == "0 freigegeben · 2 abgelehnt · 1 Spam"


@pytest.mark.parametrize("ui_options", [UiOptions(empty_poll_seconds=1)])
def test_a_page_whose_comments_are_all_claimed_elsewhere_says_so_and_takes_them_when_free(
    page: Page, api: APIRequestContext
) -> None:
    """Comments wait, but another moderator (or another window of this one) holds every one: "the queue is
    empty" would be wrong. Once that lease runs out, the page takes them."""
    item_ids = [hold(api, n) for n in (1, 2)]
    response = api.post("/v1/review/claims", data={"count": 2, "lease_seconds": SHORT_LEASE}, headers=auth("admin"))
    assert response.status == 200 and len(response.json()["items"]) == 2
    sign_in(page)
    said = ("Alle 2 wartenden Kommentare sind gerade in Prüfung, bei anderen oder in einem anderen Fenster. "
            "Was nicht entschieden wird, erscheint hier wieder.")
    expect(page.locator("#status")).to_have_text(said)
    expect(page.locator("#empty-text")).to_have_text(said)
    expect(page.locator("#depth")).to_have_text("2 Kommentare warten")
    for item_id in item_ids:
        expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible(timeout=(SHORT_LEASE + 5) * 1000)
    assert {review_item(api, i)["claim"]["by"] for i in item_ids} == {"mod"}


def test_an_edit_shown_while_the_moderator_types_a_note_keeps_the_note_and_the_typing_in_it(
    page: Page, api: APIRequestContext
) -> None:
    """A renewal that redraws an edited card must not take the focus out of the note being typed: the letters
    that follow would be shortcuts ("sehr" marks the new text, unread, as spam) and the note would be gone."""
    item_id, card = held_on_screen(page, api)
    card.locator(".labels summary").click()
    card.get_by_label("Beleidigung").check()
    card.get_by_label("Notiz (intern)").click()
    page.keyboard.type("Das ist ")
    edit(api)
    expect(card.locator(".content")).to_have_text(EDITED, timeout=SHORT_LEASE * 1000)
    page.keyboard.type("sehr grob")
    expect(card.get_by_label("Notiz (intern)")).to_have_value("Das ist sehr grob")
    expect(card.get_by_label("Notiz (intern)")).to_be_focused()
    expect(card.get_by_label("Beleidigung")).to_be_checked()
    item = review_item(api, item_id)
    assert item["status"] == "pending" and item["revision"] == 2
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("Kommentar von Jana Weber abgelehnt.")
    decided = review_item(api, item_id)["decided"]
    assert decided["note"] == "Das ist sehr grob" and decided["categories"] == ["insult"]


def test_keys_typed_into_a_note_whose_card_is_taken_away_are_not_shortcuts(
    page: Page, api: APIRequestContext, live: LiveApp
) -> None:
    """The card whose note the moderator types goes (another moderator took the comment when its lease ran
    out): the focus moves on to the next card, and the letters still being typed must not decide it."""
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(2)]
    sign_in(page)
    card = page.locator(f'li[data-id="{ids[0]}"]')
    card.locator(".labels summary").click()
    card.get_by_label("Notiz (intern)").click()
    page.keyboard.type("Das ist ")
    live.call(live.app[QUEUE].claim(ids[0], "mod", lease_seconds=0.05))  # a laptop asleep
    time.sleep(0.1)
    assert api.post(f"/v1/review/items/{ids[0]}/claim", headers=auth("admin")).status == 200
    deadline = time.monotonic() + SHORT_LEASE
    while card.count() and time.monotonic() < deadline:  # typing on until a renewal finds the comment gone
        page.keyboard.type("x", delay=50)
    expect(page.get_by_role("alert")).to_have_text(
        "Den Kommentar von Person 0 bearbeitet inzwischen ops; er wurde aus deiner Liste entfernt.")
    page.keyboard.type("sehr grob, raus damit")
    next_card = page.locator(f'li[data-id="{ids[1]}"] .card')
    expect(next_card).to_be_focused()
    expect(next_card.locator(".select-box")).not_to_be_checked()
    assert review_item(api, ids[1])["status"] == "pending"
    time.sleep(1.1)  # a pause in typing: the keys are shortcuts again
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("Kommentar von Person 1 abgelehnt.")


def test_every_comment_a_bulk_decision_could_not_decide_is_named(
    page: Page, api: APIRequestContext, live: LiveApp
) -> None:
    """Two of three selected comments were taken by another moderator meanwhile: both leave the page, and the
    alert names both (each refusal used to replace the one before, so one card went without a word)."""
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(3)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(3)
    for item_id in ids[:2]:
        live.call(live.app[QUEUE].claim(item_id, "mod", lease_seconds=0.05))
    time.sleep(0.1)
    for item_id in ids[:2]:
        assert api.post(f"/v1/review/items/{item_id}/claim", headers=auth("admin")).status == 200
    page.keyboard.press("Shift+X")
    page.keyboard.press("a")
    expect(page.locator("#status")).to_contain_text("Kommentar von Person 2 freigegeben.")
    alert = page.get_by_role("alert")
    for n in range(2):
        expect(alert).to_contain_text(
            f"Den Kommentar von Person {n} bearbeitet inzwischen ops; er wurde aus deiner Liste entfernt.")
    assert [review_item(api, i)["status"] for i in ids] == ["pending", "pending", "approved"]
    page.get_by_role("button", name="Schließen").click()
    expect(alert).to_have_text("")


NETWORK = "Der Dienst ist nicht erreichbar. Prüfe die Verbindung und versuch es noch einmal."


def test_a_decision_the_network_lost_is_named_and_can_be_taken_again(
    page: Page, api: APIRequestContext, console: Console
) -> None:
    """After a decision that went through, one that did not must not leave "approved" on screen: the page says
    which comment was not decided, and it stays to be decided again (one by one or in bulk)."""
    console.allow("net::ERR_FAILED")  # the requests cut off
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(4)]
    deciding, deciding_in_bulk = Routed(page, "**/decision"), Routed(page, "**/v1/review/decisions")
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(4)
    page.keyboard.press("a")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 freigegeben.")
    deciding.cut()
    page.keyboard.press("r")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(f"Nicht entschieden: der Kommentar von Person 1. {NETWORK}")
    expect(page.locator("#status")).to_have_text("")  # not "Person 0 approved", next to a failure
    card = page.locator(f'li[data-id="{ids[1]}"]')
    expect(card.locator(".card-error")).to_have_text(NETWORK)
    # The page went on to the next comment when the decision was sent, and stays there: put back on the one
    # that failed, the current comment would change under a key meant for the next one.
    expect(page.locator(f'li[data-id="{ids[2]}"] .card')).to_be_focused()
    deciding.release()
    deciding_in_bulk.cut()
    page.keyboard.press("Shift+X")
    page.keyboard.press("s")
    expect(alert).to_have_text(f"Nicht entschieden: 3 Kommentare. {NETWORK}")
    for item_id in ids[1:]:
        expect(page.locator(f'li[data-id="{item_id}"] .card-error')).to_have_text(NETWORK)
    expect(page.locator("#selection-count")).to_have_text("3 ausgewählt")  # still selected, to try again
    deciding_in_bulk.release()
    page.keyboard.press("Escape")
    page.keyboard.press("k")  # back to the one that failed first
    expect(card.locator(".card")).to_be_focused()
    page.keyboard.press("r")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 1 abgelehnt.")
    expect(alert).to_have_text("")
    expect(page.locator(".card-error:visible")).to_have_count(2)  # the two not decided yet still say why
    assert [review_item(api, i)["status"] for i in ids] == ["approved", "rejected", "pending", "pending"]


def test_a_claim_the_network_lost_leaves_a_way_to_try_again(page: Page, api: APIRequestContext,
                                                               console: Console) -> None:
    """The last comment decided, the next batch cannot be fetched: the page must not sit blank with the
    focus nowhere; it says so where the comments would be and offers "check again"."""
    console.allow("net::ERR_FAILED")  # the requests cut off
    hold(api, 1)
    claiming = Routed(page, "**/v1/review/claims")
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(1)
    claiming.cut()
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(NETWORK)
    expect(page.locator("#status")).to_have_text("Kommentar von Jana Weber freigegeben.")  # that went through
    expect(page.locator("#empty-text")).to_have_text(NETWORK)
    expect(page.locator("#check-again")).to_be_focused()
    waiting = hold(api, 2, author_name="Kai")
    claiming.release()
    page.keyboard.press("Enter")
    expect(page.locator(f'li[data-id="{waiting}"] .card')).to_be_focused()
    expect(page.locator("#empty")).to_be_hidden()


@pytest.mark.parametrize("bulk", [False, True])
def test_a_decision_on_its_way_when_the_page_is_left_still_counts(
    page: Page, api: APIRequestContext, live: LiveApp, bulk: bool
) -> None:
    """Closing the tab right after a key: the page gives its comments back as it goes, but not one whose
    decision is on its way (released first, the decision found the comment no longer held and was lost),
    and the decision itself is sent so that it outlives the page."""
    item_id, other = hold(api, 1), hold(api, 2, author_name="Kai")
    queue = live.app[QUEUE]
    arrived, gone = threading.Event(), threading.Event()
    for name in ("decide", "decide_many"):
        original = getattr(queue, name)

        async def held_back(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, gone.wait, 30)  # on its way as the page goes
            return await _original(*args, **kwargs)

        setattr(queue, name, held_back)
    # The releases the page asks for, noted in the tab's session storage as it calls fetch: the page that goes
    # has called it for each release before it is gone, so the test reads what it gave back without waiting.
    page.add_init_script("""
        const send = window.fetch.bind(window);
        window.fetch = (resource, options) => {
            if (String(resource).endsWith('/release')) {
                const released = JSON.parse(sessionStorage.getItem('test.released') || '[]');
                sessionStorage.setItem('test.released', JSON.stringify([...released, String(resource)]));
            }
            return send(resource, options);
        };
    """)
    try:
        sign_in(page)
        expect(page.locator(f'li[data-id="{item_id}"] .card')).to_be_focused()
        expect(page.locator(f'li[data-id="{other}"]')).to_be_visible()
        if bulk:
            page.keyboard.press("x")
        page.keyboard.press("a")
        assert arrived.wait(5)
        page.goto("about:blank")
        page.goto("/healthz")  # back on the service's origin in the same tab, where its session storage is
        assert page.evaluate("JSON.parse(sessionStorage.getItem('test.released'))") == [
            f"/v1/review/items/{urllib.parse.quote(other, safe='')}/release"]  # the other comment only
    finally:
        gone.set()  # the decision goes on (also when the test failed: the app is not left waiting)
    eventually(lambda: review_item(api, item_id)["status"] == "approved", timeout=5)
    eventually(lambda: review_item(api, other)["claim"] is None, timeout=5)
    assert review_item(api, item_id)["decided"]["by"] == "mod"
