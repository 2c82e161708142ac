"""``/moderate``: sign in and out, switch the language, and the queue page; plus the UI's static files.

The queue page is a server-rendered shell; its script claims comments and decides them through the
moderator API (``/v1/review/…``), authenticated by the session cookie and the CSRF token in the page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from ..api.review import sites_of
from ..appkeys import KEYRING, QUEUE, SETTINGS, SITES
from ..auth import Permission, Role, digest
from ..exceptions import StorageUnavailable
from ..model.attributes import ATTRIBUTES
from ..redis_connection import REDIS_DOWN
from ..review.queue import Order
from .i18n import LANGUAGE_COOKIE, LANGUAGES, language_of
from .resources import UI, UiResources, ui_ctx
from .sessions import (
    COOKIE,
    SESSIONS,
    Session,
    clear_session_cookie,
    csrf_matches,
    current_session,
    is_https,
    set_session_cookie,
)
from .throttle import THROTTLE

__all__ = ["routes", "ui_ctx"]

routes = web.RouteTableDef()

HOME = "/moderate"
SIGN_IN = "/moderate/sign-in"
LANGUAGE_MAX_AGE = 365 * 86400
MAX_FILTER_CHARS = 200
AUTHOR_KEY = re.compile(r"[0-9a-f]{32}")

Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(handler: Page) -> Page:
    """Pages answer in HTML, also when Redis is away (the API's JSON errors are for programs)."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (StorageUnavailable, *REDIS_DOWN):
            return message(request, "error_storage", status=503)
        except UnreadableForm:
            return message(request, "error_form", status=400)

    return wrapper


class UnreadableForm(Exception):
    """A posted form whose fields cannot be read (our pages send UTF-8; something else sent this)."""


async def posted_form(request: web.Request) -> MultiDictProxy[str | bytes | FileField]:
    try:
        return await request.post()
    except ValueError:  # UnicodeDecodeError: bytes that are not UTF-8
        raise UnreadableForm from None


def ui(request: web.Request) -> UiResources:
    return request.app[UI]


def base_context(request: web.Request, **extra: object) -> dict[str, object]:
    lang = language_of(request)
    return {"lang": lang, "languages": LANGUAGES, "t": ui(request).strings[lang],
            "all_strings": ui(request).strings, "here": safe_next(request.path_qs), "session": None, **extra}


def message(request: web.Request, key: str, status: int, session: Session | None = None) -> web.Response:
    return ui(request).render("message.html", status=status, **base_context(request, message_key=key, session=session))


def safe_next(target: str | None) -> str:
    """Only ever send people back to a page of the UI (no open redirect)."""
    if not target or not target.startswith(HOME) or target.startswith("//") or "\\" in target:
        return HOME
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else HOME


def same_origin(request: web.Request) -> bool:
    """A browser names the page a form was sent from; refuse forms sent from other sites (login CSRF)."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser form post (or a very old browser): cookies and tokens decide
        return True
    hosts = {request.host, request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()}
    try:
        return urlsplit(origin).netloc in hosts - {""}
    except ValueError:  # no URL ("http://[x", or a host that NFKC turns into "/"): no page of ours either
        return False


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ sign in and out


@routes.get(SIGN_IN)
@page
async def sign_in_form(request: web.Request) -> web.StreamResponse:
    target = safe_next(request.query.get("next"))
    if await current_session(request) is not None:
        raise redirect(target)
    notice = "signed_out" if "signed_out" in request.query else "session_expired" if COOKIE in request.cookies else None
    return ui(request).render("sign_in.html", **base_context(request, next=target, error=None, notice=notice))


@routes.post(SIGN_IN)
@page
async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await posted_form(request)
    target = safe_next(str(form.get("next", "")))
    t = ui(request).strings[language_of(request)]

    def refuse(error: str, status: int, headers: dict[str, str] | None = None) -> web.Response:
        context = base_context(request, next=target, error=error, notice=None)
        response = ui(request).render("sign_in.html", status=status, **context)
        response.headers.update(headers or {})
        return response

    if not same_origin(request):
        return refuse(t["error_origin"], 403)
    key = str(form.get("key", "")).strip()
    if not key:
        return refuse(t["error_key_missing"], 422)
    # Counted before the key is checked: answered by key, a locked address would still learn which guess was
    # right, and a burst of guesses would all pass a check made before any of them was counted.
    throttle, client = request.app[THROTTLE], request.app[THROTTLE].client(request)
    wait = await throttle.attempt(client)
    if wait is not None:
        minutes = -(-wait // 60)
        said = t["error_sign_in_throttled_one"] if minutes == 1 else t["error_sign_in_throttled_other"]
        return refuse(said.format(n=minutes), 429, {"Retry-After": str(wait)})
    principal = request.app[KEYRING].authenticate(key)
    if principal is None:
        return refuse(t["error_key_invalid"], 401)
    if not principal.can(Permission.REVIEW):
        await throttle.no_guess(client)
        refusal = t["error_key_blog"] if principal.role is Role.BLOG else t["error_key_monitor"]
        return refuse(refusal.format(name=principal.name), 403)
    await throttle.succeeded(client)
    sessions = request.app[SESSIONS]
    if COOKIE in request.cookies:  # never carry an earlier session id over a sign-in
        await sessions.delete(request.cookies[COOKIE])
    response = redirect(target)
    set_session_cookie(request, response, await sessions.create(digest(key)))
    raise response


@routes.post("/moderate/sign-out")
@page
async def sign_out(request: web.Request) -> web.StreamResponse:
    form = await posted_form(request)
    session = await current_session(request)
    if session is not None:
        if not same_origin(request) or not csrf_matches(session, str(form.get("csrf_token", ""))):
            return message(request, "error_csrf", status=403, session=session)
        await request.app[SESSIONS].delete(request.cookies[COOKIE])
    response = redirect(f"{SIGN_IN}?signed_out")
    clear_session_cookie(request, response)
    raise response


@routes.post("/moderate/language")
@page
async def switch_language(request: web.Request) -> web.StreamResponse:
    form = await posted_form(request)
    if not same_origin(request):
        return message(request, "error_origin", status=403)
    response = redirect(safe_next(str(form.get("next", ""))))
    lang = str(form.get("lang", ""))
    if lang in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, path=HOME, max_age=LANGUAGE_MAX_AGE, httponly=True,
                            samesite="Lax", secure=is_https(request))
    raise response


# ------------------------------------------------------------------ the queue


FILTER_NAMES = ("site_id", "order", "post", "reason", "author")


def filters_of(request: web.Request, sites: list[str]) -> tuple[dict[str, str], list[str]]:
    """The page's filters from its address, and what in the address was not understood (ignored, and said so:
    a typo must not look like an empty queue)."""
    query = request.query
    site_id = query.get("site_id", "")
    order = query.get("order", Order.OLDEST.value)
    author = query.get("author", "")
    ignored = []
    if site_id and site_id not in sites:
        ignored.append("site")
    if author and not AUTHOR_KEY.fullmatch(author):
        ignored.append("author")
    # An author's key is per site: a filter form sent for another site leaves the author behind.
    author_ok = AUTHOR_KEY.fullmatch(author) and query.get("author_site", site_id) == site_id
    filters = {
        "site_id": site_id if site_id in sites else "",
        "order": order if order in {o.value for o in Order} else Order.OLDEST.value,
        "post": query.get("post", "").strip()[:MAX_FILTER_CHARS],
        "reason": query.get("reason", "").strip()[:MAX_FILTER_CHARS],
        # an item's author_key, from a card's "all waiting comments by this person"
        "author": author if author_ok else "",
        # where "show everyone's" leads back to: the filters the card's link was followed from
        "back": back_query(query.get("back", "")) if author_ok else "",
    }
    return filters, ignored


def waiting(stats: dict[str, dict[str, Any]], reason: str) -> int:
    """The comments waiting under the page's site and reason filters, as the page's script counts them."""
    if reason:
        return sum(site["pending_by_reason"].get(reason, 0) for site in stats.values())
    return sum(site["pending"] for site in stats.values())


def back_query(value: str) -> str:
    """The filters of the page an author link was followed from, as a query string (the known ones only)."""
    kept = {name: v for name, v in parse_qsl(value) if name in FILTER_NAMES and name != "author" and v}
    return urlencode(kept)


@routes.get(HOME)
@page
async def queue_page(request: web.Request) -> web.StreamResponse:
    session = await current_session(request)
    if session is None:
        raise redirect(f"{SIGN_IN}?next={quote(request.path_qs, safe='')}")
    sites = await sites_of(request, session.principal, None)
    filters, ignored = filters_of(request, sites)
    stats = await request.app[QUEUE].stats([filters["site_id"]] if filters["site_id"] else sites)
    pending_reasons = {reason for site in stats.values() for reason in site["pending_by_reason"]}
    reasons = list(ATTRIBUTES) + sorted(pending_reasons - set(ATTRIBUTES))
    options = ui(request).options
    lang = language_of(request)
    config = {
        "lang": lang,
        "strings": dict(ui(request).strings[lang]),
        "filters": filters,
        "lease_seconds": request.app[SETTINGS].review_lease_seconds,
        "batch_size": options.batch_size,
        "idle_release_seconds": options.idle_release_seconds,
        "empty_poll_seconds": options.empty_poll_seconds,
        "sign_in_url": f"{SIGN_IN}?next={quote(request.path_qs, safe='')}",
        "attributes": list(ATTRIBUTES),
    }
    site_names = {s: request.app[SITES].get(s).name or s for s in sites}
    author = await author_named(request, filters) if filters["author"] and filters["site_id"] else ""
    context = base_context(request, session=session, sites=site_names, filters=filters, reasons=reasons,
                           ignored=ignored, wanted_site=request.query.get("site_id", ""),
                           depth=waiting(stats, filters["reason"]), config=config,
                           categories=ATTRIBUTES[1:], author=author)
    return ui(request).render("queue.html", **context)


async def author_named(request: web.Request, filters: dict[str, str]) -> str:
    """Who the author filter shows, as their waiting comments name them ("Kai <kai@example.org>"), or "" when
    none waits any more (the filter is a keyed hash: the page cannot name them otherwise)."""
    found = await request.app[QUEUE].pending(filters["site_id"], author=filters["author"], limit=1)
    if not found:
        return ""
    comment = found[0].record.comment
    name, email = (comment.author_name or "").strip(), (comment.author_email or "").strip()
    return f"{name} <{email}>" if name and email else name or email


@routes.get("/moderate/")
async def trailing_slash(request: web.Request) -> web.StreamResponse:
    raise redirect(HOME)


@routes.get("/moderate/static/{name}")
async def static_file(request: web.Request) -> web.StreamResponse:
    """The UI's own files, from the package; versioned URLs (``?v=``) may be cached for good."""
    found = ui(request).static.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    immutable = request.query.get("v") == found.version
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache",
        "ETag": f'"{found.version}"',
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers=headers)
    return web.Response(body=found.body, content_type=found.content_type, headers=headers)
