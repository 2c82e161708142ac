"""Browser tests of the moderator UI: the real app on a real port (in a thread), Debian's chromium via Playwright.

The app runs in its own thread and event loop, so the tests can use Playwright's synchronous API (a fresh
browser context per test) while the service answers. Redis is the test database of ``tests/conftest.py``,
flushed before each test.

While Playwright's synchronous API runs, the main thread counts as running an event loop, so async tests
cannot run beside it: the browser lives for one module at a time, and browser test modules use only
synchronous tests and fixtures.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis as sync_redis
from aiohttp import web
from playwright.sync_api import APIRequestContext, Browser, Page, Playwright, Route, expect, sync_playwright

from moderation_service.app import create_app
from moderation_service.settings import Settings
from moderation_service.ui.resources import UI_OPTIONS, UiOptions
from tests.api.test_comments import INSULT
from tests.conftest import KEYS, KEYS_JSON, SITES_TOML, auth

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: A held comment as a blog sends it; tests vary id, author and text.
COMMENT = {
    "site_id": "kommblog",
    "post_id": "krisenkommunikation-2026",
    "permalink": "https://kommblog.example/2026/krisenkommunikation",
    "author_name": "Jana Weber",
    "author_email": "jana@example.org",
    "author_url": "https://jana.example.org",
    "author_ip": "203.0.113.7",
    "lang": "de",
    "submitted_at": "2026-11-26T10:15:00+01:00",
}

#: What the page announces when there is nothing to review.
EMPTY = "Die Warteschlange ist leer. Neue Kommentare erscheinen hier automatisch."

# Chrome logs every non-2xx fetch as a console error; the pages show those errors themselves.
EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of")


class LiveApp:
    """The service on 127.0.0.1:<free port>, served from a thread with its own event loop."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-app", daemon=True)
        # A request the closed browser left half-sent is given 10 s at shutdown, not aiohttp's 60 (the time
        # ``call`` waits): a teardown then finishes, and a real hang still shows its tasks.
        self.runner = web.AppRunner(app, shutdown_timeout=10)
        self.url = ""

    def call(self, coroutine: Any, timeout: float = 60) -> Any:
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)
        except TimeoutError:  # say what the service was still doing (seen once, at a teardown)
            raise TimeoutError(f"the live app did not finish in {timeout} s; its tasks:\n{self.tasks()}") from None

    def tasks(self) -> str:
        stacks = []
        for task in asyncio.all_tasks(self.loop):
            frames = "".join(f"    {f.f_code.co_filename}:{f.f_lineno} {f.f_code.co_name}\n" for f in task.get_stack())
            stacks.append(f"  {task.get_name()}: {task.get_coro()!r}\n{frames}")
        # Where the event loop's thread is now: waiting for events, or stuck in a call that blocks it.
        running = sys._current_frames().get(self.thread.ident or -1)
        where = "".join(traceback.format_stack(running)) if running is not None else "(thread gone)"
        return ("".join(stacks) or "  (none)\n") + f"  the loop's thread:\n{where}"

    def start(self) -> LiveApp:
        self.thread.start()
        self.call(self.runner.setup())
        # A listening socket of our own, which ``stop_accepting`` can take off the loop.
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.call(web.SockSite(self.runner, self.listening).start())
        self.url = f"http://127.0.0.1:{self.listening.getsockname()[1]}"
        return self

    async def stop_accepting(self) -> None:
        """No new connection, and those accepted are the server's before it shuts down and closes its own.

        A page closed at a test's end still sends (its keepalive releases) while the app stops. A connection the
        loop had accepted but not yet handed over when the runner closed the server was left open by asyncio
        (3.11: the closed server refuses the new transport, and nothing closes the socket), and its "unclosed
        socket" ResourceWarning could fail whichever later test was running when it was collected.
        """
        self.loop.remove_reader(self.listening)
        for _ in range(3):  # accepted: its transport is made, then connection_made, then the handler's task
            await asyncio.sleep(0)

    def stop(self) -> None:
        try:
            self.call(self.stop_accepting())
            self.call(self.runner.cleanup())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/test installs it (apt-get install chromium)")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def flushed_redis(redis_url: str) -> Iterator[sync_redis.Redis]:
    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def ui_settings(tmp_path: Path, redis_url: str, model_dir: Path, flushed_redis: sync_redis.Redis) -> Settings:
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(SITES_TOML, encoding="utf-8")
    return Settings(sites_file=sites_file, redis_url=redis_url, data_dir=tmp_path / "var",
                    models_dir=tmp_path / "models", model_dir=model_dir, api_keys_json=KEYS_JSON,
                    redis_timeout=2.0).validated()


@pytest.fixture
def ui_options() -> UiOptions:
    """Override in a test module (or with indirect parametrisation) to shorten the page's timers."""
    return UiOptions()


@pytest.fixture
def live(ui_settings: Settings, ui_options: UiOptions) -> Iterator[LiveApp]:
    app = create_app(ui_settings)
    app[UI_OPTIONS] = ui_options
    server = LiveApp(app).start()
    yield server
    server.stop()


@pytest.fixture
def api(playwright: Playwright, live: LiveApp) -> Iterator[APIRequestContext]:
    """Plain HTTP calls with API keys (no cookies shared with the browser)."""
    context = playwright.request.new_context(base_url=live.url)
    yield context
    context.dispose()


class Console:
    """Everything the page complained about: script errors and (e.g.) Content-Security-Policy violations."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        """A test that cuts requests off expects Chrome's note about each (``net::ERR_FAILED``)."""
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems
                if not EXPECTED_CONSOLE.search(p) and not any(text in p for text in self.allowed)]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, live: LiveApp, console: Console) -> Iterator[Page]:
    context = browser.new_context(base_url=live.url, locale="de-DE", timezone_id="Europe/Berlin",
                                  viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("console", lambda message: message.type == "error" and console.problems.append(message.text))
    opened.on("pageerror", lambda error: console.problems.append(f"page error: {error}"))
    yield opened
    context.close()
    assert console.unexpected() == [], "the page logged errors"


class Routed:
    """The page's requests to ``url``: passed on, cut off (``cut``) or held back (``hold``) as the test says, until
    ``release``. Made before the page loads (before ``sign_in``), never once it is up.

    A ``page.route`` made on a page that is up is not in force at once: under load, a request the page sent
    right after it returned went out unrouted, unseen by Playwright (no request event), about once in 30 runs
    (a take-back meant to be cut off went through; a decision meant to be held back was taken at once). Routed
    before the page loads, every request of the page reaches the handler, which does what the test last said
    when the request reaches it; a request reaching it only after ``release`` (when the browser hands it over
    is not promised) goes on, not held forever.
    """

    def __init__(self, page: Page, url: str) -> None:
        self.mode = "pass"
        self.held: list[Route] = []
        page.route(url, self.handle)

    def handle(self, route: Route) -> None:
        if self.mode == "cut":
            route.abort()
        elif self.mode == "hold":
            self.held.append(route)
        else:
            route.continue_()

    def cut(self) -> None:
        self.mode = "cut"

    def hold(self) -> None:
        self.mode = "hold"

    def release(self) -> None:
        """Requests go through again; those held go on now."""
        self.mode = "pass"
        for route in self.held:
            route.continue_()
        self.held.clear()


class Asked:
    """How often the page has called ``fetch`` for a URL ending in ``path``, counted in the page as it calls; made
    before the page loads (before ``sign_in``). A call made by a key press's handler, or by a timer that a
    ``page.clock`` step fires, is counted when the press or the step returns, whether or not its answer has come:
    a test can say that nothing was asked for without waiting to see."""

    def __init__(self, page: Page, path: str) -> None:
        self.page = page
        self.path = path
        page.add_init_script(f"""
            window.asked = window.asked || {{}};
            window.asked[{json.dumps(path)}] = 0;
            const send = window.fetch.bind(window);
            window.fetch = (resource, options) => {{
                const url = String(resource instanceof Request ? resource.url : resource);
                if (url.endsWith({json.dumps(path)})) window.asked[{json.dumps(path)}] += 1;
                return send(resource, options);
            }};
        """)

    def count(self) -> int:
        return int(self.page.evaluate("(path) => window.asked[path]", self.path))


def item_url(item_id: str, action: str) -> str:
    """The pattern of the page's requests about one item (``action``: decision, claim, reopen...)."""
    return f"**/v1/review/items/{quote(item_id, safe='')}/{action}"


def hold(api: APIRequestContext, n: int, **fields: Any) -> str:
    """Submit a comment the test model holds for review; returns its id."""
    body = {**COMMENT, "comment_id": f"ui-{n}", "content": f"{INSULT} ({n})", **fields}
    response = api.post("/v1/comments", data=body, headers=auth("blog"))
    result = response.json()
    assert response.status == 200 and result["decision"] == "hold", result
    return str(result["id"])


def review_item(api: APIRequestContext, item_id: str, role: str = "moderator") -> dict[str, Any]:
    response = api.get(f"/v1/review/items/{item_id}", headers=auth(role))
    assert response.status == 200, response.text()
    return dict(response.json())


def sign_in(page: Page, role: str = "moderator", path: str = "/moderate") -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/moderate/sign-in"))
    page.get_by_label(re.compile("Schlüssel|Key")).fill(KEYS[role])
    page.get_by_role("button", name=re.compile("^(Anmelden|Sign in)$")).click()
    expect(page).to_have_url(re.compile(r"/moderate(\?.*)?$"))
    # The script announces its first claim only once its keyboard handlers are in place.
    expect(page.locator("#status")).not_to_have_text("")
