"""Progress lines for long training runs, on stderr so that stdout stays machine-readable."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def __call__(self, message: str) -> None:
        if not self._quiet:
            print(f"[{self.elapsed:7.1f}s] {message}", file=self._stream, flush=True)
