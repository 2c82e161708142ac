"""Shutting down never hangs on a background task, even one that lost a cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from moderation_service.app import stop_tasks


async def test_a_task_that_swallowed_a_cancellation_is_cancelled_again(caplog: pytest.LogCaptureFixture) -> None:
    swallowed = 0

    async def stubborn() -> None:
        """Goes on after its first cancellation, as a loop does when the cancellation reached it as a timeout."""
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1
                asyncio.current_task().uncancel()  # type: ignore[union-attr]

    async def failing() -> None:
        raise RuntimeError("broken")

    tasks = [asyncio.create_task(stubborn(), name="stubborn"), asyncio.create_task(failing(), name="failing")]
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(stop_tasks(tasks, patience=0.1), timeout=5)
    assert swallowed == 1 and tasks[0].cancelled()
    assert "background task stubborn ignored a cancellation" in caplog.text
    assert "background task failing had failed" in caplog.text
