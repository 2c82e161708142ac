"""The worker processes of ``moderation-service serve`` with ``--workers`` above 1: started, watched, stopped.

Each worker is a whole service (its own event loop, Redis pool and model) listening on the same port. A
worker that dies after it started serving (the kernel's OOM killer, a crash in a C extension) is replaced,
and the others answer meanwhile. A worker that dies before it could serve met a configuration or an
environment that the next one would meet too: the service stops, with exit code 1, so that whatever runs it
(systemd, Docker's restart policy) sees the failure; the worker's error is in the log just before.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any, NamedTuple

logger = logging.getLogger("moderation_service")

#: Pause before a replacement starts, so that a worker that keeps dying does not spin the CPU.
RESTART_DELAY_SECONDS = 1.0
#: More replacements than this within RESTART_WINDOW_SECONDS: something is wrong that restarting does not
#: fix; the service stops (exit code 1) and leaves the decision to whatever runs it.
RESTART_LIMIT = 5
RESTART_WINDOW_SECONDS = 60.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def stop_with_parent() -> None:
    """In a worker: have the kernel send SIGTERM when the supervising process dies, however it dies (even
    SIGKILL), so that no orphaned worker keeps serving on the port. Linux only; elsewhere a no-op."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before the call: no signal would come
        os.kill(os.getpid(), signal.SIGTERM)


class Worker(NamedTuple):
    process: BaseProcess
    #: Set by the worker once it serves; still unset when it dies means it failed to start.
    started: Event


class Workers:
    """Run ``target(*args, started)`` in ``count`` processes; ``target`` sets ``started`` once it serves."""

    def __init__(self, count: int, target: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.count, self.target, self.args = count, target, args
        self.stopping = False
        self.workers: list[Worker] = []
        self.restarts: list[float] = []  # monotonic times of the recent replacements

    def _start(self, index: int) -> Worker:
        started = self.context.Event()
        process = self.context.Process(target=self.target, args=(*self.args, started), name=f"worker-{index}")
        process.start()
        return Worker(process, started)

    def stop(self, *_: object) -> None:
        """Ask every worker to finish: aiohttp completes the requests in flight and runs its cleanup."""
        self.stopping = True
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()

    def reload(self, *_: object) -> None:
        for worker in self.workers:
            if worker.process.is_alive() and worker.process.pid:
                os.kill(worker.process.pid, signal.SIGHUP)  # each loads the live model if it changed

    def run(self) -> int:
        """Start the workers and watch them until a signal stops them (0) or one fails before it served (1)."""
        # Handlers first: a SIGTERM while the workers start must stop them too, not only this process.
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.reload)
        for index in range(self.count):
            if not self.stopping:
                self.workers.append(self._start(index))
        while not self.stopping:
            wait([worker.process.sentinel for worker in self.workers])
            for index, (process, started) in enumerate(self.workers):
                if process.is_alive() or self.stopping:
                    continue
                process.join()
                failure = self._beyond_restarting(started)
                if failure:
                    logger.error("%s stopped with exit code %s%s: stopping the service", process.name,
                                 process.exitcode, failure)
                    self.stop()
                    self._join()
                    return 1
                logger.error("%s stopped unexpectedly with exit code %s: starting a new one",
                             process.name, process.exitcode)
                time.sleep(RESTART_DELAY_SECONDS)
                if not self.stopping:
                    self.workers[index] = self._start(index)
        self._join()
        return 0

    def _beyond_restarting(self, started: Event) -> str:
        """Why a worker that stopped is not replaced (as the end of a log line), or ``""`` to replace it."""
        if not started.is_set():
            return " before it could serve (see its error above)"
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW_SECONDS] + [now]
        if len(self.restarts) > RESTART_LIMIT:
            return (f"; {len(self.restarts)} workers stopped within {RESTART_WINDOW_SECONDS:.0f} s, more than "
                    "restarting them can fix")
        return ""

    def _join(self) -> None:
        for worker in self.workers:
            worker.process.join()
