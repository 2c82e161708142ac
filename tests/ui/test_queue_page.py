"""The queue page in a real browser: sign in, claim, decide with the keyboard, check the outcome via the API."""

from __future__ import annotations

import re

from playwright.sync_api import APIRequestContext, Locator, Page, expect

from tests.api.test_comments import INSULT
from tests.conftest import auth
from tests.ui.conftest import COMMENT, EMPTY, Asked, Console, Routed, hold, review_item, sign_in


def test_sign_in_claim_and_approve_with_the_keyboard(page: Page, api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"] .card')
    expect(card).to_be_visible()
    expect(card.locator(".content")).to_contain_text("Du bist ein dummer Idiot")
    expect(card.locator(".author")).to_have_text("Kommentar von Jana Weber")
    expect(card.locator(".author-email")).to_have_text("jana@example.org")
    expect(card.locator(".author-url a")).to_have_attribute("href", "https://jana.example.org/")
    expect(card.locator(".post a")).to_have_attribute("href", "https://kommblog.example/2026/krisenkommunikation")
    expect(card.locator(".time")).to_have_attribute("datetime", "2026-11-26T09:15:00.000Z")
    expect(card.locator(".score.high").first).to_have_text(re.compile(r"^(Beleidigung|Toxizität) \d+\u00a0%$"))
    expect(card.locator(".reasons li").first).to_contain_text("≥ Schwelle 50\u00a0%: zur Prüfung")
    # The history counts moderators' decisions only: an author whose comments were all published, or are
    # still waiting, is not a first-time author, so the card does not say so.
    expect(card.locator(".history")).to_have_text("Noch keine Moderationsentscheidung zu dieser Person")
    # The words that drove the scores, as the API explains them, are highlighted in the text.
    explained = {p["text"] for r in review_item(api, item_id)["reasons"] for p in r.get("phrases", [])}
    assert explained
    expect(card.locator(".content mark")).to_have_count(len(explained))
    assert set(card.locator(".content mark").all_text_contents()) == explained
    expect(card).to_be_focused()
    expect(page.locator("#status")).to_have_text("1 Kommentar zur Prüfung übernommen.")
    assert review_item(api, item_id)["claim"]["by"] == "mod"

    page.keyboard.press("a")

    expect(page.locator("#status")).to_have_text(f"Kommentar von Jana Weber freigegeben. {EMPTY}")
    expect(card).to_have_count(0)
    expect(page.locator("#check-again")).to_be_focused()  # the keyboard goes on from there, not from the top
    response = api.get(f"/v1/comments/{item_id}", headers=auth("blog"))
    assert response.status == 200
    seen = response.json()
    assert seen["status"] == "approved" and seen["decided_by"] == "mod"
    expect(page.locator("#empty")).to_be_visible()


def test_j_k_move_and_r_s_reject_and_mark_spam(page: Page, api: APIRequestContext) -> None:
    ids = [hold(api, n, author_name=f"Person {n}", author_email=f"p{n}@example.org") for n in range(3)]
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(3)
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(cards.nth(1)).to_be_focused()
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")
    outline = "(() => { const style = getComputedStyle(document.activeElement);" \
              " return [style.outlineStyle, style.outlineWidth]; })()"
    assert page.evaluate(outline) == ["solid", "3px"]  # focus is visible
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "A", "BUTTON", "SUMMARY")
    assert page.evaluate(outline) == ["solid", "3px"]
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")  # keys still act on the card focus is in
    page.keyboard.press("r")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 1 abgelehnt.")
    expect(cards).to_have_count(2)
    page.keyboard.press("k")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("s")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 als Spam markiert.")
    expect(cards).to_have_count(1)
    expect(cards.nth(0)).to_be_focused()
    statuses = [api.get(f"/v1/comments/{i}", headers=auth("blog")).json()["status"] for i in ids]
    assert statuses == ["spam", "rejected", "pending"]


def test_a_decision_counts_at_once_in_the_history_on_the_authors_other_cards(page: Page,
                                                                          api: APIRequestContext) -> None:
    # Three comments by one author (the e-mail decides, as in the service, whatever the name's spelling) and
    # one by another author.
    ids = [hold(api, n, author_name=name, author_email=email) for n, (name, email) in enumerate([
        ("Troll", "troll@example.org"), ("troll", " TROLL@example.org"), ("Troll", "troll@example.org"),
        ("Jana", "jana@example.org")])]
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(4)
    page.keyboard.press("r")
    expect(cards).to_have_count(3)
    page.keyboard.press("s")
    expect(cards).to_have_count(2)
    history = page.locator(f'li[data-id="{ids[2]}"] .history')
    expect(history).to_have_text("0 freigegeben · 1 abgelehnt · 1 Spam")
    expect(page.locator(f'li[data-id="{ids[3]}"] .history')).to_have_text(
        "Noch keine Moderationsentscheidung zu dieser Person")
    assert review_item(api, ids[2])["author_history"] == {"approved": 0, "rejected": 1, "spam": 1}  # as shown
    page.reload()  # drawn afresh, the service says the same
    expect(page.locator(f'li[data-id="{ids[2]}"] .history')).to_have_text("0 freigegeben · 1 abgelehnt · 1 Spam")


def four_cards_on_screen(page: Page, api: APIRequestContext) -> tuple[list[str], Locator]:
    """Four held comments by Person 0 to 3, signed in with their cards drawn: their ids, and the cards."""
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(4)]
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(4)
    return ids, cards


def test_x_selects_for_a_bulk_decision(page: Page, api: APIRequestContext) -> None:
    ids, cards = four_cards_on_screen(page, api)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#selection-count")).to_have_text("2 ausgewählt")
    expect(page.locator("#bulkbar")).to_be_visible()
    expect(cards.nth(0).locator(".select-box")).to_be_checked()
    page.keyboard.press("a")
    expect(page.locator("#status")).to_have_text("2 Kommentare freigegeben.")
    expect(cards).to_have_count(2)
    expect(page.locator("#bulkbar")).to_be_hidden()
    statuses = [api.get(f"/v1/comments/{i}", headers=auth("blog")).json()["status"] for i in ids]
    assert statuses == ["approved", "pending", "approved", "pending"]


def test_buttons_bulk_bar_and_categories_with_the_mouse(page: Page, api: APIRequestContext) -> None:
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(3)]
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(3)
    first = cards.nth(0)
    first.locator(".labels summary").click()
    first.get_by_label("Beleidigung").check()
    first.get_by_label("Notiz (intern)").fill("persönlicher Angriff")
    first.get_by_role("button", name=re.compile("^Ablehnen")).click()
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 abgelehnt.")
    decided = review_item(api, ids[0])["decided"]
    assert decided["categories"] == ["insult"] and decided["note"] == "persönlicher Angriff"
    for n in range(2):
        cards.nth(n).get_by_label("Für Sammelaktion auswählen").check()
    page.get_by_role("button", name="Ausgewählte als Spam").click()
    expect(page.locator("#status")).to_have_text(f"2 Kommentare als Spam markiert. {EMPTY}")
    assert [review_item(api, i)["status"] for i in ids[1:]] == ["spam", "spam"]


def test_an_edit_while_the_moderator_reads_is_shown_before_any_decision_counts(page: Page,
                                                                                api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"]')
    expect(card.locator(".content")).to_contain_text("Du bist ein dummer Idiot")
    expect(card.locator(".earlier")).to_be_hidden()
    edited_text = "Du bist ein widerlicher Lügner und dummer Idiot, halt dein dreckiges Maul"
    edit = api.post("/v1/comments", data={**COMMENT, "comment_id": "ui-1", "content": edited_text},
                    headers=auth("blog")).json()
    assert edit["decision"] == "hold" and edit["revision"] == 2

    page.keyboard.press("a")  # meant for the text on screen, which is no longer the comment's

    expect(page.get_by_role("alert")).to_have_text(
        "Der Kommentar von Jana Weber wurde bearbeitet, während du ihn hattest: Er zeigt jetzt den neuen Text. "
        "Lies ihn, dann entscheide.")
    expect(card.locator(".content")).to_have_text(edited_text)
    expect(card.locator(".earlier-summary")).to_have_text("Bearbeitet: Dies ist Fassung 2. Vorher: wartete auf Prüfung")
    card.locator(".earlier-summary").click()
    expect(card.locator(".earlier-list li")).to_have_text(re.compile(r"^Fassung 1: wartete auf Prüfung.*\(1\)$"))
    assert review_item(api, item_id)["status"] == "pending"  # nothing was decided on the old text
    card.locator(".card").focus()

    page.keyboard.press("r")

    expect(page.locator("#status")).to_have_text(f"Kommentar von Jana Weber abgelehnt. {EMPTY}")
    seen = api.get(f"/v1/comments/{item_id}", headers=auth("blog")).json()
    assert seen["status"] == "rejected" and seen["revision"] == 2


def test_u_takes_the_last_decision_back_and_the_comment_can_be_decided_again(page: Page,
                                                                              api: APIRequestContext) -> None:
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(2)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(2)
    expect(page.locator("#undo")).to_be_hidden()
    page.keyboard.press("u")
    expect(page.locator("#status")).to_have_text(
        "Auf dieser Seite gibt es keine Entscheidung von dir zum Zurücknehmen.")

    page.keyboard.press("s")  # a slip: meant to approve
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 als Spam markiert.")
    expect(page.locator("#cards > li")).to_have_count(1)
    assert review_item(api, ids[0])["status"] == "spam"
    expect(page.locator("#undo")).to_be_visible()

    page.keyboard.press("u")

    expect(page.locator("#status")).to_have_text(
        "Zurückgenommen: Der Kommentar von Person 0 wartet wieder auf deine Entscheidung.")
    expect(page.locator("#cards > li")).to_have_count(2)
    expect(page.locator("#cards > li").first).to_have_attribute("data-id", ids[0])
    expect(page.locator(f'li[data-id="{ids[0]}"] .card')).to_be_focused()
    expect(page.locator("#undo")).to_be_hidden()
    item = review_item(api, ids[0])
    assert item["status"] == "pending" and item["claim"]["by"] == "mod"

    page.keyboard.press("a")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 freigegeben.")
    assert review_item(api, ids[0])["status"] == "approved"
    assert api.get(f"/v1/comments/{ids[0]}", headers=auth("blog")).json()["status"] == "approved"


def test_u_does_not_take_back_a_decision_someone_took_since(page: Page, api: APIRequestContext) -> None:
    item_id = hold(api, 1, author_name="Emil")
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator("#status")).to_contain_text("Kommentar von Emil freigegeben.")
    # Another moderator reopens it and rejects it.
    assert api.post(f"/v1/review/items/{item_id}/reopen", headers=auth("admin")).status == 200
    assert api.post(f"/v1/review/items/{item_id}/decision", data={"action": "reject"},
                    headers=auth("admin")).status == 200
    page.keyboard.press("u")
    expect(page.get_by_role("alert")).to_have_text(
        "Deine Entscheidung zum Kommentar von Emil gilt nicht mehr: Er wurde inzwischen anders entschieden. "
        "Nichts wurde zurückgenommen.")
    item = review_item(api, item_id)
    assert item["status"] == "rejected" and item["decided"]["by"] == "ops"


def test_a_claimed_comment_edited_out_of_the_queue_is_explained_and_removed(page: Page,
                                                                            api: APIRequestContext) -> None:
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(2)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(2)
    expect(page.locator("#depth")).to_have_text("2 Kommentare warten")
    edit = api.post("/v1/comments", data={**COMMENT, "comment_id": "ui-0", "author_name": "Person 0",
                                          "content": "Danke für den hilfreichen Beitrag!"}, headers=auth("blog")).json()
    assert edit["decision"] == "publish"
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(
        "Der Kommentar von Person 0 wurde bearbeitet und vom Modell neu bewertet (veröffentlicht); "
        "er wurde aus deiner Liste entfernt.")
    expect(page.locator(f'li[data-id="{ids[0]}"]')).to_have_count(0)
    expect(page.locator("#depth")).to_have_text("1 Kommentar wartet")


def test_earlier_versions_show_who_decided_and_the_author_details_that_changed(page: Page,
                                                                               api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    assert api.post(f"/v1/review/items/{item_id}/claim", headers=auth("admin")).status == 200
    assert api.post(f"/v1/review/items/{item_id}/decision", data={"action": "spam"},
                    headers=auth("admin")).status == 200
    edit = api.post("/v1/comments", data={**COMMENT, "comment_id": "ui-1", "author_email": "neu@example.org",
                                          "content": f"{INSULT} (2)"}, headers=auth("blog")).json()
    assert edit["decision"] == "hold"
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"]')
    expect(card.locator(".earlier-summary")).to_have_text(
        "Bearbeitet: Dies ist Fassung 2. Vorher: von ops als Spam markiert")
    card.locator(".earlier-summary").click()
    expect(card.locator(".earlier-list li p").first).to_have_text("Fassung 1: von ops als Spam markiert")
    expect(card.locator(".earlier-author")).to_have_text("E-Mail: jana@example.org")


def test_a_card_leads_to_all_waiting_comments_by_its_author(page: Page, api: APIRequestContext) -> None:
    jana = [hold(api, n) for n in range(2)]
    kai = hold(api, 9, author_name="Kai", author_email="kai@example.org")
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(3)
    link = page.locator(f'li[data-id="{kai}"] .author-filter')
    expect(link).to_have_text("Alle wartenden Kommentare dieser Person")
    link.click()
    expect(page).to_have_url(re.compile(r"/moderate\?author=[0-9a-f]{32}&site_id=kommblog&order=oldest$"))
    expect(page.locator(".author-filter-note")).to_contain_text(
        "Es werden nur die wartenden Kommentare von Kai <kai@example.org> gezeigt.")
    expect(page.locator("#cards > li")).to_have_count(1)
    expect(page.locator(f'li[data-id="{kai}"]')).to_be_visible()
    expect(page.locator(f'li[data-id="{kai}"] .author-filter')).to_be_hidden()  # the page shows only them
    page.keyboard.press("s")
    expect(page.locator("#status")).to_contain_text("Kommentar von Kai als Spam markiert.")
    page.get_by_role("link", name="Alle Personen zeigen").click()
    expect(page.locator("#cards > li")).to_have_count(2)
    assert {review_item(api, item_id)["claim"]["by"] for item_id in jana} == {"mod"}


def test_shift_x_selects_every_comment_on_the_page_for_one_decision(page: Page, api: APIRequestContext) -> None:
    ids = [hold(api, n) for n in range(3)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(3)
    page.keyboard.press("Shift+X")
    expect(page.locator("#selection-count")).to_have_text("3 ausgewählt")
    page.keyboard.press("Shift+X")  # all were: none now
    expect(page.locator("#bulkbar")).to_be_hidden()
    page.keyboard.press("x")
    page.keyboard.press("Shift+X")  # some were: all now
    expect(page.locator("#selection-count")).to_have_text("3 ausgewählt")
    page.keyboard.press("s")
    expect(page.locator("#status")).to_contain_text("3 Kommentare als Spam markiert.")
    assert {review_item(api, item_id)["status"] for item_id in ids} == {"spam"}


def test_the_author_filter_leads_back_and_says_when_the_person_has_nothing_left(page: Page,
                                                                                 api: APIRequestContext) -> None:
    jana = [hold(api, n) for n in range(2)]
    kai = hold(api, 9, author_name="Kai", author_email="kai@example.org")
    sign_in(page, path="/moderate?order=risk&reason=insult")
    # The page gives its comments back before it goes, so that the next page can claim them: a release sent as
    # the page goes away may reach the service after the next page's claim, which then finds them taken.
    events: list[str] = []
    page.on("requestfinished", lambda request: "/release" in request.url and events.append("released"))
    page.on("request", lambda request: request.is_navigation_request() and events.append("navigated"))
    page.locator(f'li[data-id="{kai}"] .author-filter').click()
    expect(page.locator("#cards > li")).to_have_count(1)
    assert events == ["released"] * 3 + ["navigated"], events
    page.keyboard.press("Shift+X")
    page.keyboard.press("r")
    expect(page.locator("#empty-text")).to_have_text("Von dieser Person wartet kein Kommentar mehr.")
    page.keyboard.press("u")  # the history on the card that comes back counts the rejection no more
    expect(page.locator(f'li[data-id="{kai}"] .history')).to_have_text(
        "Noch keine Moderationsentscheidung zu dieser Person")
    page.get_by_role("link", name="Alle Personen zeigen").click()
    expect(page).to_have_url(re.compile(r"/moderate\?order=risk&reason=insult$"))
    expect(page.locator("#cards > li")).to_have_count(3)  # Kai's waits again: it was taken back
    assert {review_item(api, item_id)["claim"]["by"] for item_id in [*jana, kai]} == {"mod"}


def test_a_filter_in_the_address_that_is_not_understood_is_said_so(page: Page, api: APIRequestContext) -> None:
    hold(api, 1)
    sign_in(page, path="/moderate?site_id=kommblgo&author=NOTAKEY")
    expect(page.locator(".filter-notice").first).to_have_text(
        "Ein Blog „kommblgo“ gibt es hier nicht (oder du darfst es nicht moderieren): gezeigt werden alle deine Blogs.")
    expect(page.locator(".filter-notice").nth(1)).to_have_text(
        "Der Personenfilter in der Adresse ist ungültig: gezeigt werden alle Personen.")
    expect(page.locator("#cards > li")).to_have_count(1)


def test_a_key_held_down_decides_one_comment_not_the_page(page: Page, api: APIRequestContext) -> None:
    """A key held a moment too long repeats: the repeats must not decide the comments that come up next."""
    decisions = Asked(page, "/decision")
    ids, cards = four_cards_on_screen(page, api)
    page.keyboard.down("a")
    expect(cards).to_have_count(3)
    for _ in range(8):  # what the keyboard sends while the key stays down: keydown with repeat set
        page.keyboard.down("a")
    page.keyboard.up("a")
    assert decisions.count() == 1  # each press was handled when it returned: the repeats asked for nothing
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 freigegeben.")
    assert [review_item(api, i)["status"] for i in ids] == ["approved", "pending", "pending", "pending"]
    page.keyboard.down("j")  # moving on repeats, as in any list
    for _ in range(3):
        page.keyboard.down("j")
    page.keyboard.up("j")
    expect(cards.nth(2)).to_be_focused()


def test_a_take_back_the_network_lost_can_be_tried_again(page: Page, api: APIRequestContext,
                                                          console: Console) -> None:
    console.allow("net::ERR_FAILED")  # the request cut off
    item_id = hold(api, 1, author_name="Emil")
    hold(api, 2, author_name="Frida")
    reopening = Routed(page, "**/reopen")
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(2)
    page.keyboard.press("s")  # a slip
    expect(page.locator("#status")).to_have_text("Kommentar von Emil als Spam markiert.")
    reopening.cut()
    page.keyboard.press("u")
    expect(page.get_by_role("alert")).to_contain_text("Die Entscheidung zum Kommentar von Emil ließ sich nicht "
                                                      "zurücknehmen: Der Dienst ist nicht erreichbar.")
    expect(page.locator("#undo")).to_be_visible()  # still there to take back
    reopening.release()
    page.keyboard.press("u")
    expect(page.locator("#status")).to_have_text(
        "Zurückgenommen: Der Kommentar von Emil wartet wieder auf deine Entscheidung.")
    assert review_item(api, item_id)["status"] == "pending"


def test_after_a_button_in_the_bulk_bar_the_focus_goes_on_with_the_comments(page: Page,
                                                                            api: APIRequestContext) -> None:
    """Keyboard only: the bulk bar's buttons hide the bar when they are done; the focus must not fall back to the
    top of the page (a screen reader starts reading from there), but go on at the current comment."""
    ids, cards = four_cards_on_screen(page, api)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.get_by_role("button", name="Auswahl aufheben").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#bulkbar")).to_be_hidden()
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.get_by_role("button", name="Ausgewählte ablehnen").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("2 Kommentare abgelehnt.")
    expect(cards).to_have_count(2)
    expect(cards.nth(1)).to_be_focused()  # the comment after the last one decided
    assert [review_item(api, i)["status"] for i in ids] == ["pending", "rejected", "rejected", "pending"]


def test_long_names_addresses_and_words_stay_within_the_page(page: Page, api: APIRequestContext) -> None:
    """Spammers use a link as their name and endless words: the page must not grow sideways (a moderator would
    scroll right to find the buttons), neither the card nor the messages that name the author."""
    long_url = "https://spam.example/" + "a" * 400
    item_id = hold(api, 1, author_name="X" * 300, author_url=long_url, permalink=long_url, post_id="p" * 200,
                   author_email="e" * 200 + "@example.org", content=f"{INSULT} {long_url} {'W' * 500}")
    hold(api, 2)
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wide) == 0
    page.keyboard.press("x")
    page.keyboard.press("r")
    expect(page.locator("#status")).to_contain_text("abgelehnt.")
    assert page.evaluate(wide) == 0


def test_shortcuts_work_the_same_with_caps_lock_on(page: Page, api: APIRequestContext) -> None:
    """Caps Lock makes x arrive as "X": that must select this comment, not every comment on the page (the next
    r would reject them all); Shift+x still selects all."""
    ids = [hold(api, n, author_name=f"Person {n}") for n in range(3)]
    sign_in(page)
    expect(page.locator("#cards > li")).to_have_count(3)
    page.keyboard.press("X")  # what Caps Lock sends for x: the capital letter, without Shift
    expect(page.locator("#selection-count")).to_have_text("1 ausgewählt")
    page.keyboard.press("R")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 abgelehnt.")
    assert [review_item(api, i)["status"] for i in ids] == ["rejected", "pending", "pending"]
    page.keyboard.press("Shift+X")
    expect(page.locator("#selection-count")).to_have_text("2 ausgewählt")
