"""What the UI holds while the service runs: options, templates, strings, static files and the session store."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from ..appkeys import DECISIONS, KEYRING, REDIS, SETTINGS
from .i18n import Strings, load_strings
from .sessions import SESSIONS, SessionStore
from .throttle import THROTTLE, SignInThrottle

PACKAGE = Path(__file__).parent

#: Pages run only the service's own script and style files: no inline script, no other origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Following a commenter's link must not tell their site where moderators work.
    "Referrer-Policy": "same-origin",
    # Pages show who is signed in; nothing of them belongs in a shared cache.
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class UiOptions:
    """Behaviour of the queue page and the sessions (tests shorten the timers)."""

    #: Comments claimed at once, when the page opens and whenever the moderator has decided all of them.
    batch_size: int = 10
    #: Without a key press or click for this long, the page gives its comments back and pauses.
    idle_release_seconds: int = 900
    #: How often an empty queue is asked again for new comments.
    empty_poll_seconds: int = 30
    session_idle_seconds: int = 8 * 3600
    session_max_seconds: int = 24 * 3600


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    version: str


@dataclass(frozen=True)
class UiResources:
    options: UiOptions
    templates: jinja2.Environment
    strings: Strings
    static: dict[str, StaticFile]

    def static_url(self, name: str) -> str:
        return f"/moderate/static/{name}?v={self.static[name].version}"

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        html = self.templates.get_template(name).render(static_url=self.static_url, **context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS)


UI_OPTIONS = web.AppKey("ui_options", UiOptions)
UI = web.AppKey("ui", UiResources)


def load_static() -> dict[str, StaticFile]:
    files = {}
    for path in sorted((PACKAGE / "static").iterdir()):
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":  # module scripts need a JavaScript type whatever the system's MIME table says
            content_type = "text/javascript"
        files[path.name] = StaticFile(body, content_type, hashlib.sha256(body).hexdigest()[:12])
    return files


async def ui_ctx(app: web.Application) -> AsyncIterator[None]:
    options = app.get(UI_OPTIONS) or UiOptions()
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
        # Comments are hostile user content: everything is escaped unless a template says otherwise (none does).
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app[UI] = UiResources(options, templates, load_strings(), load_static())
    app[SESSIONS] = SessionStore(app[REDIS], app[KEYRING], options.session_idle_seconds, options.session_max_seconds)
    settings = app[SETTINGS]
    app[THROTTLE] = SignInThrottle(app[REDIS], app[DECISIONS].hasher, settings.sign_in_attempts,
                                   settings.sign_in_window_seconds, settings.trusted_proxies)
    yield
