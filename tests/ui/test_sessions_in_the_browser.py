"""Signing in and out, refused keys, the language switch and CSRF, in a real browser."""

from __future__ import annotations

import re

import redis as sync_redis
from playwright.sync_api import APIRequestContext, Page, expect

from moderation_service.review import keys
from tests.conftest import KEYS
from tests.ui.conftest import hold, review_item, sign_in


def session_keys(redis: sync_redis.Redis) -> list[str]:
    return list(redis.scan_iter(keys.session("*")))


def test_blog_key_is_refused_with_a_clear_message(page: Page, flushed_redis: sync_redis.Redis) -> None:
    page.goto("/moderate/sign-in")
    page.get_by_label("Schlüssel").fill(KEYS["blog"])
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Anmelden").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_have_text(
        "Der Schlüssel „kommblog“ gehört zu einem Blog und darf nicht moderieren. "
        "Melde dich mit einem Moderations- oder Admin-Schlüssel an.")
    expect(page.get_by_label("Schlüssel")).to_have_attribute("aria-invalid", "true")
    assert page.context.cookies() == [] and session_keys(flushed_redis) == []


def test_wrong_key_is_refused(page: Page) -> None:
    page.goto("/moderate/sign-in")
    page.get_by_label("Schlüssel").fill("not-a-key-of-this-service")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Dieser Schlüssel ist nicht gültig.")
    expect(page.get_by_label("Schlüssel")).to_have_value("")  # a key is never sent back


def test_sign_out_gives_comments_back_and_ends_the_session(
    page: Page, api: APIRequestContext, flushed_redis: sync_redis.Redis
) -> None:
    item_id = hold(api, 1)
    sign_in(page, role="admin")
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    expect(page.get_by_text("Angemeldet als ops")).to_be_visible()
    assert review_item(api, item_id)["claim"]["by"] == "ops"
    [stored] = session_keys(flushed_redis)
    cookie = next(c for c in page.context.cookies() if c["name"] == "moderation_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    assert cookie["value"] not in stored  # Redis holds a hash of the id, not the id
    assert 0 < flushed_redis.ttl(stored) <= 8 * 3600

    page.get_by_role("button", name="Abmelden").click()

    expect(page).to_have_url(re.compile(r"/moderate/sign-in\?signed_out$"))
    expect(page.get_by_role("status")).to_have_text("Du bist abgemeldet.")
    assert review_item(api, item_id)["claim"] is None
    assert session_keys(flushed_redis) == []
    assert not any(c["name"] == "moderation_session" for c in page.context.cookies())
    answer = api.get("/v1/review/items", headers={"Cookie": f"moderation_session={cookie['value']}"})
    assert answer.status == 401
    page.goto("/moderate")
    expect(page).to_have_url(re.compile(r"/moderate/sign-in\?next=(/|%2F)moderate$"))


def test_language_switch_is_remembered(page: Page, api: APIRequestContext) -> None:
    item_id = hold(api, 1)
    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Warteschlange")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    card = page.locator(f'li[data-id="{item_id}"] .card')
    expect(card.get_by_role("button", name=re.compile("^Approve"))).to_be_visible()
    expect(card.locator(".score.high").first).to_have_text(re.compile(r"^(Insult|Toxicity) \d+%$"))
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    assert any(c["name"] == "moderation_lang" and c["value"] == "en" for c in page.context.cookies())
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(card).to_be_visible()  # given back before the switch, claimed again after it
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")


def test_api_calls_without_the_csrf_token_are_refused(page: Page, api: APIRequestContext) -> None:
    hold(api, 1)
    sign_in(page)
    expect(page.locator("#cards .card")).to_have_count(1)
    script = """async ([token]) => {
        const headers = {'Content-Type': 'application/json'};
        if (token !== null) headers['X-CSRF-Token'] = token;
        const response = await fetch('/v1/review/claims', {method: 'POST', headers, body: '{"count": 1}'});
        return [response.status, await response.json()];
    }"""
    status, body = page.evaluate(script, [None])
    assert status == 403 and body["error"]["code"] == "csrf_token_invalid"
    assert "X-CSRF-Token" in body["error"]["message"]
    status, body = page.evaluate(script, ["a-token-from-somewhere-else"])
    assert status == 403 and body["error"]["code"] == "csrf_token_invalid"
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    status, body = page.evaluate(script, [token])
    assert status == 200 and body == {"items": []}  # the one comment is already on the page
    status = page.evaluate("async () => (await fetch('/v1/review/stats')).status")  # reading needs no token
    assert status == 200
    # The session stands in for a key on the review API only.
    status = page.evaluate("async (id) => (await fetch('/v1/comments/' + id)).status",
                           page.locator("#cards > li").first.get_attribute("data-id"))
    assert status == 401



def test_a_comment_is_marked_in_its_language_for_screen_readers(page: Page, api: APIRequestContext) -> None:
    """With the page in English, a German comment is marked German: a screen reader reads it with a German
    voice, not as English words."""
    german = hold(api, 1)
    unknown = hold(api, 2, lang=None, author_name="Kai")
    sign_in(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator(f'li[data-id="{german}"] .content')).to_have_attribute("lang", "de")
    expect(page.locator(f'li[data-id="{unknown}"] .content')).not_to_have_attribute("lang", re.compile(".*"))


def test_buttons_are_named_by_their_words_and_announce_their_keys(page: Page, api: APIRequestContext) -> None:
    """"Approve a" is not a name: the key shown on a button is for the eye; aria-keyshortcuts names it."""
    item_id = hold(api, 1)
    sign_in(page)
    page.get_by_role("button", name="English").click()
    card = page.locator(f'li[data-id="{item_id}"] .card')
    for name, key in [("Approve", "a"), ("Reject", "r"), ("Spam", "s")]:
        expect(card.get_by_role("button", name=name, exact=True)).to_have_attribute("aria-keyshortcuts", key)
    expect(page.get_by_role("button", name="Keyboard shortcuts", exact=True)).to_be_visible()
