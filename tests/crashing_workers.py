"""Worker targets for tests/test_workers.py, in a module of their own: each spawned worker imports it, and it
imports nothing heavy."""

from __future__ import annotations

import os
from multiprocessing.synchronize import Event


def crash_after_start(started: Event) -> None:
    started.set()
    os._exit(3)


def crash_before_start(started: Event) -> None:
    os._exit(4)
