"""A decision key pressed while the decision before it is still on its way (a slow connection).

The first decision's request is held back with Playwright's routing (``Routed``, in place before the page
loads) until the test lets it go, so what the page does with the keys pressed meanwhile is deterministic.
"""

from __future__ import annotations

from playwright.sync_api import APIRequestContext, Locator, Page, expect

from tests.ui.conftest import Routed, hold, item_url, review_item, sign_in


def held_comments(api: APIRequestContext, n: int) -> list[str]:
    return [hold(api, i, author_name=f"Person {i}") for i in range(n)]


def cards_on_screen(page: Page, n: int) -> Locator:
    sign_in(page)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(n)
    expect(cards.nth(0)).to_be_focused()
    return cards


def held_back(page: Page, url: str) -> Routed:
    routed = Routed(page, url)
    routed.hold()
    return routed


def statuses(api: APIRequestContext, ids: list[str]) -> list[str]:
    return [review_item(api, i)["status"] for i in ids]


def test_the_next_comment_is_current_at_once_and_takes_the_next_key(page: Page, api: APIRequestContext) -> None:
    """A fast moderator approves and goes straight on: the next comment is current (marked, focused) as soon
    as the decision is sent, and the key pressed next decides it, while the first decision is still on its way."""
    ids = held_comments(api, 3)
    held = held_back(page, item_url(ids[0], "decision"))  # Person 1's decision goes through
    cards = cards_on_screen(page, 3)
    page.keyboard.press("a")
    expect(cards.nth(0)).to_have_attribute("aria-busy", "true")  # and dimmed (.busy)
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")
    expect(cards.nth(1)).to_be_focused()
    expect(cards.nth(0)).not_to_have_attribute("aria-current", "true")

    page.keyboard.press("s")

    expect(page.locator("#status")).to_have_text("Kommentar von Person 1 als Spam markiert.")
    assert statuses(api, ids) == ["pending", "spam", "pending"]  # the first one still on its way
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")  # Person 2, the one after it
    expect(cards.nth(1).locator(".author")).to_have_text("Kommentar von Person 2")
    held.release()
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 freigegeben.")
    expect(cards).to_have_count(1)
    assert statuses(api, ids) == ["approved", "spam", "pending"]
    expect(cards.nth(0)).to_be_focused()


def test_a_key_on_a_comment_whose_decision_is_on_its_way_is_refused_aloud(page: Page,
                                                                            api: APIRequestContext) -> None:
    """Back on a comment whose decision travels (k), a key cannot act on it, and it must not act on another one
    the moderator has not seen as current either: the page says the key was not taken, and why."""
    ids = held_comments(api, 2)
    held = held_back(page, item_url(ids[0], "decision"))
    cards = cards_on_screen(page, 2)
    page.keyboard.press("a")
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("k")
    expect(cards.nth(0)).to_have_attribute("aria-current", "true")

    page.keyboard.press("r")

    expect(page.get_by_role("status")).to_have_text(
        "Nicht übernommen: Die Entscheidung über den Kommentar von Person 0 ist noch unterwegs.")
    held.release()
    expect(page.locator("#status")).to_have_text("Kommentar von Person 0 freigegeben.")
    assert statuses(api, ids) == ["approved", "pending"]
    expect(cards).to_have_count(1)


def test_the_last_comment_on_the_page_decided_twice_in_a_row(page: Page, api: APIRequestContext) -> None:
    """No other comment to go on to: a second key on the one on its way is refused aloud (in English too), and
    so is a key pressed while the next comments are being claimed."""
    ids = held_comments(api, 1)
    held = held_back(page, item_url(ids[0], "decision"))
    claiming = Routed(page, "**/v1/review/claims")
    cards = cards_on_screen(page, 1)
    page.get_by_role("button", name="English").click()
    expect(cards).to_have_count(1)
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("s")
    expect(cards.nth(0)).to_have_attribute("aria-busy", "true")  # and dimmed (.busy)
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_have_text(
        "Not taken: the decision on the comment by Person 0 is still on its way.")
    claiming.hold()
    held.release()
    expect(cards).to_have_count(0)
    page.keyboard.press("r")  # the next batch is on its way
    expect(page.get_by_role("status")).to_have_text("Not taken: the next comments are still loading.")
    claiming.release()
    expect(page.locator("#status")).to_have_text(
        "Marked the comment by Person 0 as spam. The queue is empty. New comments will appear here automatically.")
    assert statuses(api, ids) == ["spam"]


def test_a_selection_with_comments_whose_decision_travels_says_which_were_not_taken(
        page: Page, api: APIRequestContext) -> None:
    """Two comments approved together, still on their way; a third selected beside them and marked spam: the third
    is decided, and the two are not decided again (their approval travels), and the page says so, instead of
    dropping them from the moderator's second decision without a word."""
    ids = held_comments(api, 3)
    held = held_back(page, "**/v1/review/decisions")
    cards = cards_on_screen(page, 3)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("a")
    expect(cards.nth(1)).to_have_attribute("aria-busy", "true")
    expect(cards.nth(2)).to_have_attribute("aria-current", "true")
    page.keyboard.press("x")
    expect(page.locator("#cards .card.selected")).to_have_count(3)

    page.keyboard.press("s")

    expect(page.locator("#status")).to_have_text(
        "Kommentar von Person 2 als Spam markiert. "
        "Nicht übernommen: Die Entscheidung über die 2 ausgewählten Kommentare ist noch unterwegs.")
    assert statuses(api, ids) == ["pending", "pending", "spam"]
    held.release()
    expect(cards).to_have_count(0)
    assert statuses(api, ids) == ["approved", "approved", "spam"]
