"""Moderator web sessions: a random id in a cookie, a hash of it as the Redis key, a CSRF token per session.

Signing in with a moderator (or admin) key stores the key's digest, never the key, under
``keys.session(sha256(session id))``. Every use checks the digest against the keyring again, so a key that
is removed from the configuration ends its sessions. Sessions end after ``idle_seconds`` without use and
``max_seconds`` after sign-in, whichever comes first.

The API accepts the cookie instead of an API key (see :func:`session_principal`); requests that change
something must also send the session's CSRF token in ``X-CSRF-Token``. The cookie is ``SameSite=Strict``
and ``HttpOnly`` (``Secure`` over https), so another site can neither send it nor read the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from ..appkeys import SETTINGS
from ..auth import Keyring, Permission, Principal
from ..exceptions import Forbidden, StorageUnavailable
from ..redis_connection import REDIS_DOWN
from ..review import keys

COOKIE = "moderation_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    code = "csrf_token_invalid"


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf_token: str
    created_at: float


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, keyring: Keyring, idle_seconds: int, max_seconds: int) -> None:
        self._redis = redis
        self._keyring = keyring
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    async def create(self, key_digest: str) -> str:
        """A new session for the key with this digest; returns the id for the cookie (stored nowhere else)."""
        session_id = secrets.token_urlsafe(32)
        key = keys.session(_hash(session_id))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"key": key_digest, "csrf": secrets.token_urlsafe(32),
                                    "created_at": repr(time.time())})
            pipe.expire(key, self.idle_seconds)
            await pipe.execute()
        return session_id

    async def load(self, session_id: str) -> Session | None:
        """The live session with this id (its idle timer starts again), else ``None``."""
        if not session_id or len(session_id) > 100:
            return None
        key = keys.session(_hash(session_id))
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.idle_seconds)
            data, _ = await pipe.execute()
        if not data:
            return None
        principal = self._keyring.by_digest(data.get("key", ""))
        created_at = float(data.get("created_at", 0))
        if principal is None or not principal.can(Permission.REVIEW) or time.time() - created_at > self.max_seconds:
            await self._redis.delete(key)
            return None
        return Session(principal, data["csrf"], created_at)

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(keys.session(_hash(session_id)))


SESSIONS = web.AppKey("sessions", SessionStore)


async def current_session(request: web.Request) -> Session | None:
    """The session of the request's cookie; Redis being unreachable is a 503, not a sign-out."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    try:
        return await request.app[SESSIONS].load(session_id)
    except REDIS_DOWN:
        raise StorageUnavailable("Redis is unreachable, so sessions cannot be checked now; retry shortly.") from None


def csrf_matches(session: Session, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(session.csrf_token.encode(), presented.encode())


async def session_principal(request: web.Request) -> Principal | None:
    """For ``auth_middleware``: the moderator of a valid session cookie, CSRF-checked for unsafe methods."""
    session = await current_session(request)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused(f"This request uses the moderator web session but lacks its CSRF token; send the page's "
                          f"token in the {CSRF_HEADER} header (reload the page to get a fresh one).")
    return session.principal


def is_https(request: web.Request) -> bool:
    """Whether cookies are to be ``Secure``: always with ``MODERATION_COOKIE_SECURE=always`` (a TLS proxy that
    does not say so), else when served over https, directly or behind a proxy that says so (a wrong claim only
    makes the cookie stricter)."""
    if request.app[SETTINGS].cookie_secure == "always":
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def set_session_cookie(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    response.set_cookie(COOKIE, session_id, path="/", httponly=True, samesite="Strict", secure=is_https(request))


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=is_https(request))
