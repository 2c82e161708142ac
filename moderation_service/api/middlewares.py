"""The error middleware (every failure becomes a JSON body saying what to fix), authentication, and the
count and timing of every answer for ``/metrics``."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

from ..appkeys import KEYRING, METRICS, SETTINGS
from ..auth import Permission, Principal
from ..exceptions import ModerationError, StorageUnavailable, Unauthenticated
from ..redis_connection import REDIS_DOWN
from ..ui.sessions import session_principal

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTTP_MESSAGES = {
    404: "No such endpoint. See the README for the API.",
    413: "The request body is larger than the service accepts (MODERATION_MAX_BODY_BYTES); send less.",
}


#: Redis's outages and refusals (not the operating system's errors, which are not Redis's to explain).
REDIS_UNAVAILABLE = tuple(error for error in REDIS_DOWN if issubclass(error, RedisError))


def error_body(code: str, message: str, **details: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **details}}


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time each answer by its route's template (``/v1/comments/{id}``), never by the raw path,
    whose values a client chooses. A request whose connection broke off (the client left, or a streamed
    answer failed midway) counts with status ``aborted``."""
    started = time.perf_counter()
    status = "aborted"
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:  # redirects, which the error middleware lets through
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[METRICS].answered(route, request.method, status, time.perf_counter() - started)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _refusal(request, exc)
    except Exception as exc:
        if request.writer.output_size:
            # A streamed answer has begun: a second answer cannot follow it, and ending it cleanly would pass a
            # truncated body off as complete. Raising makes aiohttp break the connection, which the client sees.
            logger.warning("%s %s failed after its answer began (%s: %s); the connection is broken off",
                           request.method, request.path, type(exc).__name__, exc)
            raise
        return _refusal(request, exc)


def _refusal(request: web.Request, exc: Exception) -> web.Response:
    if isinstance(exc, ModerationError):
        return moderation_error_response(exc)
    if isinstance(exc, REDIS_UNAVAILABLE):  # where a handler has no way around it (the decision path spools)
        logger.warning("%s %s: Redis unavailable (%s: %s)", request.method, request.path, type(exc).__name__, exc)
        return moderation_error_response(
            StorageUnavailable("Redis is unavailable, so this request cannot be served now; retry shortly."))
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return _method_not_allowed(exc)
    if isinstance(exc, web.HTTPException):
        code = exc.reason.lower().replace(" ", "_")
        message = HTTP_MESSAGES.get(exc.status, exc.reason)
        if exc.status == 413:
            message += f" The limit is {request.app[SETTINGS].max_body_bytes} bytes."
        return web.json_response(error_body(code, message), status=exc.status)
    logger.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return web.json_response(
        error_body("internal_error", "The service failed to handle this request; it was logged. Retry later."),
        status=500,
    )


def _method_not_allowed(exc: web.HTTPMethodNotAllowed) -> web.Response:
    """A ``405`` names the methods the endpoint takes, in its message and in ``Allow`` (RFC 9110 requires
    the header; the JSON answer replaces aiohttp's, which had it)."""
    allowed = sorted(exc.allowed_methods)
    choices = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
    message = f"This endpoint does not accept {exc.method}" + (f"; use {choices}." if choices else ".")
    return web.json_response(error_body("method_not_allowed", message), status=exc.status,
                             headers={"Allow": ",".join(allowed)})


def moderation_error_response(exc: ModerationError) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="moderation"'} if exc.status == 401 else None
    return web.json_response(error_body(exc.code, exc.message, **exc.details), status=exc.status, headers=headers)


#: Instead of aiohttp's "Python/3.11 aiohttp/3.x": a version banner only helps someone look up what to attack.
SERVER_NAME = "moderation-service"


async def common_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer (``app.on_response_prepare``): no version banner, and no content sniffing, so that no
    answer of this origin (a plain-text Akismet reply, a JSON body quoting a comment) is ever run as a script
    or rendered as HTML by a browser guessing its type. Nor is an answer stored by any cache unless its
    endpoint says otherwise (the UI's static files): answers name commenters (the moderator API gives their
    e-mail and IP address, also to the UI's script), and a browser's disk cache would keep them after signing
    out, a shared cache for others."""
    response.headers["Server"] = SERVER_NAME
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")


PRINCIPAL = web.RequestKey("principal", Principal)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Identify the caller from ``Authorization: Bearer <key>`` or ``X-API-Key`` (or, for ``/v1/review/``, a
    moderator's web session); handlers decide what is allowed."""
    presented = request.headers.get("X-API-Key")
    authorization = request.headers.get("Authorization")
    if presented is None and authorization and authorization[:7].lower() == "bearer ":
        presented = authorization[7:].strip()
    if presented is not None:
        principal = request.app[KEYRING].authenticate(presented)
        if principal is None:
            raise Unauthenticated("The API key is not valid. Check the key your administrator gave you.")
        if principal.akismet_only:
            raise Unauthenticated(f"The key '{principal.name}' is a short key for WordPress's Akismet plugin and "
                                  "works only for Akismet calls (/1.1/…); use a key of at least 16 characters.")
        request[PRINCIPAL] = principal
    elif request.path.startswith("/v1/review/"):
        # No key: the moderator web UI's session cookie may stand in for one (CSRF-checked, see ui/sessions.py).
        principal = await session_principal(request)
        if principal is not None:
            request[PRINCIPAL] = principal
    return await handler(request)


def require(request: web.Request, permission: Permission, site_id: str | None = None) -> Principal:
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        raise Unauthenticated("This endpoint needs an API key: send 'Authorization: Bearer <key>'.")
    principal.require(permission, site_id)
    return principal
