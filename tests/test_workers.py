"""The supervisor of ``serve --workers N`` on workers that cannot run: it stops instead of looping."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def supervise(target: str, count: int) -> subprocess.CompletedProcess[str]:
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO)\n"
        "import moderation_service.workers as workers\n"
        "from tests.crashing_workers import crash_after_start, crash_before_start\n"
        "workers.RESTART_DELAY_SECONDS = 0.05\n"
        f"sys.exit(workers.Workers({count}, {target}, ()).run())\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_workers_that_keep_dying_stop_the_service() -> None:
    """Replacing a worker that died helps once; when they keep dying (a port taken after start, a host out of
    memory), restarting forever would only hide it from systemd or Docker."""
    result = supervise("crash_after_start", 1)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("starting a new one") == 5
    assert "6 workers stopped within 60 s, more than restarting them can fix: stopping the service" in result.stderr


def test_a_worker_that_fails_before_it_serves_stops_the_others() -> None:
    result = supervise("crash_before_start", 2)
    assert result.returncode == 1, result.stderr
    assert "before it could serve" in result.stderr and "starting a new one" not in result.stderr
