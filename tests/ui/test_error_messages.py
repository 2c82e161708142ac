"""What the page says when the service refuses a request: in the page's language, from the answer's ``code``,
never the service's English message, except as a detail of a code the page does not know."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from moderation_service.api.middlewares import error_body
from moderation_service.appkeys import QUEUE
from moderation_service.settings import Settings
from tests.ui.conftest import LiveApp, hold, review_item, sign_in


@pytest.fixture
def ui_settings(ui_settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """``indirect`` parametrisation gives the service a smaller body limit (``MODERATION_MAX_BODY_BYTES``)."""
    limit = getattr(request, "param", None)
    return dataclasses.replace(ui_settings, max_body_bytes=limit) if limit else ui_settings


def in_language(page: Page, live: LiveApp, lang: str) -> None:
    """The language switch's choice, made before the page is opened."""
    page.context.add_cookies([{"name": "moderation_lang", "value": lang, "url": live.url}])


INVALID_REASON = {
    "de": "Ungültige Eingabe: Grund „nonsense“: Aus diesem Grund wartet kein Kommentar. Wähle einen Grund aus der "
          "Liste.",
    "en": "Invalid input: Reason “nonsense”: no comment is held for this reason. Choose a reason from the list.",
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_reason_no_comment_is_held_for_is_named_in_the_page_language(
    page: Page, api: APIRequestContext, live: LiveApp, lang: str
) -> None:
    """A 422 about the address's reason filter gave the service's English explanation on the German page."""
    hold(api, 1)
    in_language(page, live, lang)
    sign_in(page, path="/moderate?reason=nonsense")
    expect(page.get_by_role("alert")).to_have_text(INVALID_REASON[lang])
    expect(page.locator("#empty-text")).to_have_text(INVALID_REASON[lang])


TOO_LARGE = {
    "de": "Nicht entschieden: der Kommentar von Jana Weber. Zu viel auf einmal: Die Anfrage ist größer, als der "
          "Dienst annimmt. Kürze die Notiz oder entscheide weniger Kommentare auf einmal.",
    "en": "Not decided: the comment by Jana Weber. Too much at once: the request is larger than the service "
          "accepts. Shorten the note or decide fewer comments at once.",
}


@pytest.mark.parametrize("ui_settings", [1024], indirect=True)
@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_decision_larger_than_the_service_accepts_is_said_in_the_page_language(
    page: Page, api: APIRequestContext, live: LiveApp, lang: str
) -> None:
    """A note that makes the decision's body exceed the service's limit: a real 413, whose message names the
    environment variable and the limit in bytes, which tell a moderator nothing."""
    item_id = hold(api, 1)
    in_language(page, live, lang)
    sign_in(page)
    card = page.locator(f'li[data-id="{item_id}"]')
    expect(card).to_be_visible()
    page.keyboard.press("n")
    card.locator(".note").fill("ü" * 600)  # 1200 bytes in UTF-8
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(TOO_LARGE[lang])
    expect(card.locator(".card-error")).to_have_text(TOO_LARGE[lang].split(". ", 1)[1])
    assert review_item(api, item_id)["status"] == "pending"


ALREADY_DECIDED = {
    "de": "Der Kommentar von Jana Weber wurde bereits entschieden (freigegeben, von ops); er wurde aus deiner Liste "
          "entfernt.",
    "en": "The comment by Jana Weber was already decided (approved, by ops); it was removed from your list.",
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_comment_decided_in_another_session_meanwhile_is_explained_in_the_page_language(
    page: Page, api: APIRequestContext, live: LiveApp, browser: Browser, lang: str
) -> None:
    """The moderator's lease ran out (a laptop asleep), and another moderator took and decided the comment in their
    own session: the first page's decision gets a real 409 ``already_decided``."""
    item_id = hold(api, 1)
    in_language(page, live, lang)
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"]')).to_be_visible()
    live.call(live.app[QUEUE].claim(item_id, "mod", lease_seconds=0.05))
    time.sleep(0.1)
    other = browser.new_context(base_url=live.url, locale="de-DE")
    try:
        second = other.new_page()
        sign_in(second, role="admin")
        expect(second.locator(f'li[data-id="{item_id}"] .card')).to_be_focused()
        second.keyboard.press("a")
        expect(second.locator(f'li[data-id="{item_id}"]')).to_have_count(0)
    finally:
        other.close()
    assert review_item(api, item_id)["decided"]["by"] == "ops"
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(ALREADY_DECIDED[lang])
    expect(page.locator(f'li[data-id="{item_id}"]')).to_have_count(0)


THROTTLED = {
    "de": "Zu viele Anfragen in kurzer Zeit. Warte einen Moment und versuch es dann noch einmal.",
    "en": "Too many requests in a short time. Wait a moment, then try again.",
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_proxy_that_limits_the_rate_is_said_in_the_page_language(page: Page, live: LiveApp, lang: str) -> None:
    """The service sends no 429 to the page's requests; a reverse proxy in front of it may, with its own HTML."""
    page.route("**/v1/review/claims", lambda route: route.fulfill(
        status=429, content_type="text/html", headers={"Retry-After": "30"},
        body="<html><body><h1>429 Too Many Requests</h1></body></html>"))
    in_language(page, live, lang)
    sign_in(page)
    expect(page.get_by_role("alert")).to_have_text(THROTTLED[lang])
    expect(page.get_by_role("alert")).not_to_contain_text("Too Many Requests")


UNKNOWN = {
    "de": "Der Dienst hat die Anfrage abgelehnt (HTTP 409). Seine Meldung: A code of a later release.",
    "en": "The service refused the request (HTTP 409). Its message: A code of a later release.",
}


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("code", ["some_later_code", "constructor"])  # the latter a name every JS object has
def test_a_code_the_page_does_not_know_keeps_the_service_message_as_a_detail(
    page: Page, live: LiveApp, code: str, lang: str
) -> None:
    """A code a later release of the service may send: said in the page's language, the service's words kept."""
    body = {"error": {"code": code, "message": "A code of a later release."}}
    page.route("**/v1/review/claims", lambda route: route.fulfill(
        status=409, content_type="application/json", body=json.dumps(body)))
    in_language(page, live, lang)
    sign_in(page)
    expect(page.get_by_role("alert")).to_have_text(UNKNOWN[lang])


REFUSALS = {
    # the code, its status, and the service's own message for it: what the page must not show
    "forbidden": (403, "The key 'mod' is not valid for site 'kommblog'.", {
        "de": "Das darf dein Schlüssel nicht (bei diesem Blog oder überhaupt). Frag deine Administration nach den "
              "nötigen Rechten.",
        "en": "Your key may not do this (for this blog, or at all). Ask your administrator for the rights you need.",
    }),
    "malformed_request": (400, "The body is not valid JSON (Expecting value at line 1, column 1).", {
        "de": "Der Dienst konnte die Anfrage nicht lesen. Lade die Seite neu und versuch es noch einmal.",
        "en": "The service could not read the request. Reload the page and try again.",
    }),
    "internal_error": (500, "The service failed to handle this request; it was logged. Retry later.", {
        "de": "Beim Dienst ist ein Fehler aufgetreten (er wurde protokolliert). Versuch es später noch einmal.",
        "en": "The service failed (the failure was logged). Try again later.",
    }),
}


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("code", list(REFUSALS))
def test_refusals_the_page_cannot_provoke_are_said_in_the_page_language(
    page: Page, live: LiveApp, code: str, lang: str
) -> None:
    """Codes the page's own requests do not provoke (a key's sites changed under a session, a failure of the
    service), answered as the service answers them."""
    status, message, said = REFUSALS[code]
    page.route("**/v1/review/claims", lambda route: route.fulfill(
        status=status, content_type="application/json", body=json.dumps(error_body(code, message))))
    in_language(page, live, lang)
    sign_in(page)
    expect(page.get_by_role("alert")).to_have_text(said[lang])


REFUSED_ITEM = {
    "de": "Den Kommentar von Jana Weber kannst du nicht mehr entscheiden: Der Dienst hat die Anfrage abgelehnt "
          "(HTTP 409). Seine Meldung: A code of a later release. Er wurde aus deiner Liste entfernt.",
    "en": "You can no longer decide the comment by Jana Weber: The service refused the request (HTTP 409). Its "
          "message: A code of a later release. It was removed from your list.",
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_decision_refused_for_a_reason_the_page_does_not_know_is_not_called_a_deletion(
    page: Page, api: APIRequestContext, live: LiveApp, lang: str
) -> None:
    """Every 409 the page did not list was said as "the comment no longer exists", which was not true."""
    item_id = hold(api, 1)
    body = {"error": {"code": "some_later_code", "message": "A code of a later release."}}
    page.route("**/decision", lambda route: route.fulfill(
        status=409, content_type="application/json", body=json.dumps(body)))
    in_language(page, live, lang)
    sign_in(page)
    expect(page.locator(f'li[data-id="{item_id}"] .card')).to_be_focused()
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_have_text(REFUSED_ITEM[lang])
    assert review_item(api, item_id)["status"] == "pending"
