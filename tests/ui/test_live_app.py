"""The live app of the browser tests (tests/ui/conftest.py) stops cleanly while a browser is still talking to it."""

from __future__ import annotations

import gc
import socket
import threading
import warnings

from aiohttp import web

from tests.ui.conftest import LiveApp


async def answer(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def keep_sending(port: int, done: threading.Event) -> None:
    """What a closed page does meanwhile: new connections, each with a request (its keepalive releases)."""
    while not done.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as client:
                client.sendall(b"POST /release HTTP/1.1\r\nHost: live\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass  # refused once the app no longer listens


def test_connections_arriving_while_the_live_app_stops_are_all_closed() -> None:
    """A connection accepted just before the server closed was left open, and its ResourceWarning could fail a
    later test (an unclosed socket was seen once in a UI test's set-up)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            app = web.Application()
            app.router.add_post("/release", answer)
            live = LiveApp(app).start()
            port = int(live.url.rsplit(":", 1)[1])
            done = threading.Event()
            senders = [threading.Thread(target=keep_sending, args=(port, done)) for _ in range(4)]
            for sender in senders:
                sender.start()
            try:
                live.stop()
            finally:
                done.set()
                for sender in senders:
                    sender.join()
            del live, app
            gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
