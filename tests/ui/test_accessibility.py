"""What the queue page tells a moderator who cannot rely on colour or sight: erased authors, the selection, the
current comment, and working the queue with the keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from moderation_service.settings import Settings
from moderation_service.ui.resources import UiOptions
from tests.api.test_comments import INSULT
from tests.conftest import auth
from tests.ui.conftest import COMMENT, EMPTY, hold, review_item, sign_in

SHORT_LEASE = 10  # the page renews leases every 3.3 s


@pytest.fixture
def ui_settings(ui_settings: Settings) -> Settings:
    return ui_settings.with_overrides(review_lease_seconds=SHORT_LEASE)


def erase(api: APIRequestContext, item_id: str) -> None:
    response = api.post(f"/v1/comments/{item_id}/erase-personal-data", headers=auth("blog"))
    assert response.status == 200, response.text()
    assert "author_name" in response.json()["erased_fields"]


# What a card says of a comment whose author had their data erased, in place of name, e-mail and website.
ERASED_DE = re.compile(r"^Personendaten gelöscht \(am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}\): Name, E-Mail-Adresse, "
                       r"Website und IP-Adresse sind auf Wunsch der Person nicht mehr gespeichert\.$")


def test_a_comment_whose_personal_data_were_erased_says_so(page: Page, api: APIRequestContext) -> None:
    erased_id = hold(api, 1)
    kept_id = hold(api, 2, author_name="Kai Berg", author_email="kai@example.org")
    anonymous_id = hold(api, 3, author_name="", author_email="", author_url="")
    erase(api, erased_id)
    sign_in(page)
    erased = page.locator(f'li[data-id="{erased_id}"] .card')
    expect(erased.locator(".author")).to_have_text("Kommentar von [Personendaten gelöscht]")
    expect(erased.locator(".erased")).to_have_text(ERASED_DE)
    expect(erased.locator(".author-email")).to_be_hidden()
    expect(erased.locator(".author-url")).to_be_hidden()
    # Whose history it is cannot be known any more: "no decision on this person yet" would be a guess.
    expect(erased.locator(".history")).to_have_text("Unbekannt: Die Personendaten wurden gelöscht.")
    expect(erased.locator(".post a")).to_have_attribute("href", "https://kommblog.example/2026/krisenkommunikation")

    # Comments whose author was never named, or still is, look as they did.
    kept = page.locator(f'li[data-id="{kept_id}"] .card')
    expect(kept.locator(".author")).to_have_text("Kommentar von Kai Berg")
    expect(kept.locator(".erased")).to_be_hidden()
    anonymous = page.locator(f'li[data-id="{anonymous_id}"] .card')
    expect(anonymous.locator(".author")).to_have_text("Kommentar von Ohne Namen")
    expect(anonymous.locator(".erased")).to_be_hidden()

    expect(erased).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator("#status")).to_have_text("Kommentar von [Personendaten gelöscht] freigegeben.")
    assert api.get(f"/v1/comments/{erased_id}", headers=auth("blog")).json()["status"] == "approved"

    page.get_by_role("button", name="English").click()
    erased_en = page.locator(f'li[data-id="{kept_id}"] .card')
    expect(erased_en.locator(".author")).to_have_text("Comment by Kai Berg")
    erase(api, kept_id)
    page.reload()
    erased_en = page.locator(f'li[data-id="{kept_id}"] .card')
    expect(erased_en.locator(".author")).to_have_text("Comment by [personal data erased]")
    expect(erased_en.locator(".erased")).to_have_text(re.compile(
        r"^Personal data erased \(on .+\): name, e-mail address, website and IP address are no longer stored, "
        r"at the person's request\.$"))
    expect(erased_en.locator(".history")).to_have_text("Unknown: the personal data were erased.")


def test_personal_data_erased_while_the_comment_is_on_screen_leave_the_screen(page: Page,
                                                                             api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"] .card')
    expect(card.locator(".author")).to_have_text("Kommentar von Jana Weber")
    page.keyboard.press("x")
    erase(api, item_id)
    # Within a lease renewal, without a key pressed: the name and address the person had erased go.
    expect(card.locator(".author")).to_have_text("Kommentar von [Personendaten gelöscht]", timeout=SHORT_LEASE * 1000)
    expect(card.locator(".erased")).to_have_text(ERASED_DE)
    expect(card).not_to_contain_text("Jana")
    expect(card).not_to_contain_text("jana@example.org")
    expect(card).to_be_focused()
    expect(card.locator(".select-box")).to_be_checked()  # what the moderator chose stays


SELECTION_LOG = """() => {
  const region = document.getElementById('selection-live');
  window.selectionSaid = [];
  new MutationObserver(() => window.selectionSaid.push(region.textContent))
    .observe(region, { childList: true, characterData: true, subtree: true });
}"""


def said(page: Page) -> list[str]:
    return [text for text in page.evaluate("window.selectionSaid") if text]


def test_the_number_selected_is_announced_politely_and_only_when_it_changes(page: Page,
                                                                           api: APIRequestContext) -> None:
    for n in range(4):
        hold(api, n, author_name=f"Person {n}", author_email=f"p{n}@example.org")
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(4)
    region = page.locator("#selection-live")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_be_attached()
    page.evaluate(SELECTION_LOG)

    page.keyboard.press("x")
    expect(region).to_have_text("1 ausgewählt")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(region).to_have_text("2 ausgewählt")
    page.keyboard.press("j")  # moving on is no change in the selection
    page.keyboard.press("k")
    # A comment that is not selected is decided: the selection stays as it was, and is not announced again.
    cards.nth(3).locator("button[data-action=approve]").click()
    expect(page.locator("#status")).to_have_text("Kommentar von Person 3 freigegeben.")
    expect(cards).to_have_count(3)
    assert said(page) == ["1 ausgewählt", "2 ausgewählt"]

    page.keyboard.press("Shift+X")  # every comment on the page: once, not once per comment
    expect(region).to_have_text("3 ausgewählt")
    assert said(page) == ["1 ausgewählt", "2 ausgewählt", "3 ausgewählt"]
    page.keyboard.press("Escape")
    expect(region).to_have_text("Auswahl aufgehoben")
    assert said(page)[-1] == "Auswahl aufgehoben"
    page.keyboard.press("x")
    expect(region).to_have_text("1 ausgewählt")
    # A bulk decision takes the selected comments off the page: the status says what was decided, the live
    # region of the selection says nothing more.
    page.keyboard.press("r")
    expect(page.locator("#status")).to_have_text(re.compile("abgelehnt"))
    expect(cards).to_have_count(2)
    assert said(page)[-1] == "1 ausgewählt"
    expect(region).to_have_text("")  # not left saying "1 selected" to one reading the page


FORCED = """(card) => {
  const style = getComputedStyle(card);
  return { outline: `${style.outlineStyle} ${style.outlineWidth}`,
           border: `${style.borderLeftStyle} ${style.borderLeftWidth}`,
           marker: getComputedStyle(card, '::before').content };
}"""


def test_the_current_comment_is_marked_by_more_than_colour_also_in_forced_colours(page: Page,
                                                                               api: APIRequestContext) -> None:
    for n in range(3):
        hold(api, n)
    page.emulate_media(forced_colors="active")
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(3)
    page.keyboard.press("j")
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")
    expect(cards.nth(0)).not_to_have_attribute("aria-current", re.compile("."))
    # The focus goes into the card's note: the card itself has no focus ring now, and is still marked.
    cards.nth(1).locator(".labels summary").press("Enter")
    cards.nth(1).locator(".note").focus()
    current, other = cards.nth(1).evaluate(FORCED), cards.nth(0).evaluate(FORCED)
    assert current["outline"] != other["outline"] and not current["outline"].startswith("none")
    assert current["border"] != other["border"]
    assert current["marker"] not in ("none", "normal", '""')
    assert other["marker"] in ("none", "normal")


@pytest.mark.parametrize("ui_options", [UiOptions(empty_poll_seconds=1)])
def test_a_post_filter_whose_comments_are_all_claimed_elsewhere_says_so_not_that_the_queue_is_empty(
    page: Page, api: APIRequestContext
) -> None:
    item_ids = [hold(api, n) for n in (1, 2)]
    hold(api, 3, post_id="ein-anderer-beitrag")
    claim = {"count": 2, "post": COMMENT["post_id"], "lease_seconds": SHORT_LEASE}
    response = api.post("/v1/review/claims", data=claim, headers=auth("admin"))
    assert response.status == 200 and len(response.json()["items"]) == 2
    sign_in(page, path=f"/moderate?post={COMMENT['post_id']}")
    said = ("Die wartenden Kommentare zu diesen Filtern sind gerade in Prüfung, bei jemand anderem oder in einem "
            "anderen Fenster. Was nicht entschieden wird, erscheint hier wieder.")
    expect(page.locator("#empty-text")).to_have_text(said)
    expect(page.locator("#status")).to_have_text(said)
    for item_id in item_ids:
        expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible(timeout=(SHORT_LEASE + 5) * 1000)
    page.keyboard.press("Shift+X")
    page.keyboard.press("a")
    expect(page.locator("#empty-text")).to_have_text(EMPTY)  # the other post's comment is not this filter's


def test_n_opens_the_current_comments_note_and_escape_goes_back_to_the_comment(page: Page,
                                                                              api: APIRequestContext) -> None:
    """Reaching a note by Tab takes up to a dozen key presses per comment; `n` goes there at once."""
    ids = [hold(api, n, author_name=f"Person {n}", author_email=f"p{n}@example.org") for n in range(2)]
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(2)  # keys pressed before the cards are drawn do nothing
    page.keyboard.press("j")
    page.keyboard.press("n")
    note = cards.nth(1).locator(".note")
    expect(note).to_be_focused()
    expect(cards.nth(1).locator(".labels")).to_have_attribute("open", "")
    page.keyboard.type("ja, raus damit")  # letters that are shortcuts elsewhere: text here
    expect(note).to_have_value("ja, raus damit")
    page.keyboard.press("Escape")
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("r")
    expect(page.locator("#status")).to_have_text("Kommentar von Person 1 abgelehnt.")
    decided = api.get(f"/v1/review/items/{ids[1]}", headers=auth("moderator")).json()["decided"]
    assert decided["note"] == "ja, raus damit" and decided["action"] == "reject"
    assert api.get(f"/v1/comments/{ids[0]}", headers=auth("blog")).json()["status"] == "pending"
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Tastenkürzel")).to_contain_text(
        "Kategorien und Notiz des aktuellen Kommentars öffnen, in die Notiz")


OBSCURED = """() => {
  const focused = document.activeElement.getBoundingClientRect();
  const bar = document.getElementById('bulkbar');
  return !bar.hidden && focused.top < bar.getBoundingClientRect().bottom ? document.activeElement.outerHTML : null;
}"""


def test_the_bulk_bar_never_hides_the_control_that_has_the_focus(page: Page, api: APIRequestContext) -> None:
    """The bar stays at the top of the window while comments are selected: going back with Shift+Tab, the
    focused control was scrolled just under it, out of sight (WCAG 2.4.11)."""
    for n in range(4):
        hold(api, n)
    sign_in(page)
    expect(page.locator("#cards .card")).to_have_count(4)
    for key in ("j", "j", "j", "x"):
        page.keyboard.press(key)
    expect(page.locator("#bulkbar")).to_be_visible()
    hidden = []
    for _ in range(24):
        page.keyboard.press("Shift+Tab")
        hidden.append(page.evaluate(OBSCURED))
    assert [control for control in hidden if control] == []
    page.set_viewport_size({"width": 700, "height": 900})  # the bar wraps onto more lines
    for _ in range(24):
        page.keyboard.press("Tab")
        hidden.append(page.evaluate(OBSCURED))
    for _ in range(24):
        page.keyboard.press("Shift+Tab")
        hidden.append(page.evaluate(OBSCURED))
    assert [control for control in hidden if control] == []


def test_a_spam_score_the_signals_moved_shows_both_numbers(page: Page) -> None:
    """The model said 4 %, links and a repeated text moved it to 55 %: the card said "Spam 4 %", marked as
    the score that held the comment, beside "Spam 55 % ≥ Schwelle 50 %"."""
    sign_in(page)
    item = {
        "id": "kommblog:aaaaaaaaaaaaaaaa", "site_id": "kommblog", "received_at": "2026-11-26T09:00:00.000Z",
        "comment": {"content": "Schau mal: https://example.org", "author_name": "Bot"},
        "scores": {"spam": 0.04, "insult": 0.02},
        "reasons": [{"kind": "score", "name": "spam", "value": 0.55, "threshold": 0.5, "effect": "hold"},
                    {"kind": "signal", "name": "duplicates", "spam": 3, "hold": 0}],
    }
    scores = page.evaluate("""async (item) => {
        const { CardRenderer } = await import('/moderate/static/cards.js');
        const strings = JSON.parse(document.getElementById('moderate-config').textContent).strings;
        const card = new CardRenderer(document.getElementById('card-template'), strings, 'de').render(item, 99);
        return Array.from(card.querySelectorAll('.score'), (li) => [li.textContent, li.className]);
    }""", item)
    assert scores == [["Spam 4\u00a0% (mit Signalen 55\u00a0%)", "score high"], ["Beleidigung 2\u00a0%", "score"]]


def test_moving_past_either_end_of_the_page_says_so_once(page: Page, api: APIRequestContext) -> None:
    """`k` on the first comment and `j` on the last did nothing and said nothing: a moderator working by ear
    could not tell a key that was not heard from the end of the page."""
    hold(api, 1, author_name="Erste")
    hold(api, 2, author_name="Zweite")
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(2)
    page.keyboard.press("k")
    expect(page.locator("#status")).to_have_text("Das ist der erste Kommentar auf dieser Seite.")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator("#status")).to_have_text("Das ist der letzte Kommentar auf dieser Seite.")
    page.evaluate("document.querySelector('#status').textContent = 'gelesen'")
    page.keyboard.press("j")  # held down, a key repeats: said once, not again and again
    # The page announces in the next animation frame (announce): once the frame after it has come, an
    # announcement of this key would be on screen, however slow the machine (200 ms were not always a frame).
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    expect(page.locator("#status")).to_have_text("gelesen")
    expect(cards.nth(1)).to_be_focused()


def test_an_invalid_filter_is_named_as_the_page_names_it_and_loading_ends(page: Page, api: APIRequestContext) -> None:
    """A reason no comment is held for (typed into the address) gave the service's JSON on the German page, and
    "Lade Kommentare …" stayed in the status line for good."""
    hold(api, 1)
    sign_in(page, path="/moderate?reason=nonsense")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Ungültige Eingabe: Grund „nonsense“: Aus diesem Grund wartet kein Kommentar.")
    expect(alert).not_to_contain_text("{")
    expect(page.locator("#empty-text")).to_contain_text("Grund „nonsense“: Aus diesem Grund wartet kein Kommentar.")
    expect(page.locator("#status")).to_have_text("Keine Kommentare geladen (siehe Meldung).")


def spoken_words(reason: dict[str, Any], text: str, quote: str, conjunction: str) -> str:
    """The words a reason highlighted, as its line on the card names them (code points, strongest first), listed
    as the page's language lists them ("„a“, „b“ und „c“"; "“a”, “b”, and “c”"), as a signal's evidence is."""
    chars = list(text)
    words = [quote.format(word) for word in dict.fromkeys("".join(chars[start:end]) for start, end in reason["spans"])]
    if len(words) < 3:
        return f" {conjunction} ".join(words)
    serial = "," if conjunction == "and" else ""
    return f"{', '.join(words[:-1])}{serial} {conjunction} {words[-1]}"


@pytest.mark.parametrize(("language", "label", "quote", "conjunction"),
                         [("Deutsch", "Markiert", "„{}“", "und"), ("English", "Marked", "“{}”", "and")])
def test_which_score_a_highlighted_word_drove_is_said_without_a_mouse(
    page: Page, api: APIRequestContext, language: str, label: str, quote: str, conjunction: str
) -> None:
    """The score a highlighted word drove was only in the mark's tooltip, which only a mouse shows: each reason
    now names its words as text, for a keyboard user to see and a screen reader to read, without a tab stop."""
    item_id = hold(api, 1, content=f"{INSULT} http://example.org/mehr")
    item = review_item(api, item_id)
    sign_in(page)
    if language == "English":
        page.get_by_role("button", name="English").click()
    card = page.locator(f'li[data-id="{item_id}"] .card')
    expect(card).to_be_focused()
    explained = [r for r in item["reasons"] if r.get("spans")]
    assert any(r["kind"] == "score" for r in explained)
    lines = card.locator(".reasons li")
    for reason in explained:
        index = item["reasons"].index(reason)
        words = spoken_words(reason, item["comment"]["content"], quote, conjunction)
        expect(lines.nth(index)).to_contain_text(f"{label}: {words}")
        # in the accessibility tree (not a title only a pointer reveals)
        expect(lines.nth(index)).to_match_aria_snapshot(f"- listitem: /.+ {label}. .+/")
