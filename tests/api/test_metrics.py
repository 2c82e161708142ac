"""GET /metrics: Prometheus's text format, counting what the service did and showing what it holds now."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from moderation_service.app import create_app
from moderation_service.metrics import MULTIPROCESS_ENV
from tests.api.test_comments import INSULT, SPAM
from tests.conftest import KEYS, KEYS_JSON, auth
from tests.review.test_webhooks import Receiver, eventually, eventually_async, start_receiver, webhook_settings
from tests.test_cli import serve_with_workers, serving_workers, wait_for

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, metric: str, **labels: str) -> float | None:
    return samples.get((metric, frozenset(labels.items())))


async def scrape(client) -> Samples:  # type: ignore[no-untyped-def]
    response = await client.get("/metrics", headers=auth("monitor"))
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return parse(await response.text())


async def submit(client, comment, comment_id: str, content: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = await client.post("/v1/comments", json={**comment, "comment_id": comment_id, "content": content},
                                 headers=auth("blog"))
    assert response.status == 200
    return await response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("blog", 403), ("moderator", 403), ("monitor", 200),
                                              ("admin", 200)])
async def test_metrics_need_a_monitor_or_admin_key(client, role, status) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/metrics", headers=auth(role) if role else {})
    assert response.status == status
    if status != 200:
        assert (await response.json())["error"]["message"]


async def test_a_monitor_key_reads_metrics_and_nothing_else(client, comment) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json=comment, headers=auth("monitor"))
    assert response.status == 403
    assert (await client.get("/v1/review/items", headers=auth("monitor"))).status == 403
    assert (await client.get("/v1/ops/model", headers=auth("monitor"))).status == 403


async def test_decisions_are_counted_once_with_their_reasons(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    published = await submit(client, comment, "m1", comment["content"])
    held = await submit(client, comment, "m2", INSULT)
    spam = await submit(client, comment, "m3", SPAM)
    assert (published["decision"], held["decision"]) == ("publish", "hold")
    await submit(client, comment, "m2", INSULT)  # the same comment again: answered as before, not counted again
    samples = await scrape(client)

    decided = [published, held, spam]
    for decision in ("publish", "hold", "spam"):
        expected = sum(1 for body in decided if body["decision"] == decision)
        assert value(samples, "moderation_decisions_total", decision=decision) == (expected or None)
    assert value(samples, "moderation_repeated_submissions_total") == 1
    assert value(samples, "moderation_spooled_decisions_total") == 0
    for reason in held["reasons"]:
        assert value(samples, "moderation_decision_reasons_total", kind=reason["kind"], name=reason["name"],
                     decision="hold") == 1
    assert value(samples, "moderation_http_requests_total", route="/v1/comments", method="POST", status="200") == 4
    assert value(samples, "moderation_http_request_duration_seconds_count", route="/v1/comments",
                 method="POST") == 4
    assert value(samples, "moderation_model_info", version="test-model") == 1
    assert value(samples, "moderation_redis_up") == 1
    held_count = sum(1 for body in decided if body["decision"] == "hold")
    assert value(samples, "moderation_review_pending", site="kommblog") == held_count


async def test_requests_are_labelled_by_route_template_never_by_path(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/v1/comments/kommblog:abc", headers=auth("blog"))).status == 404
    assert (await client.get("/no/such/page-4711")).status == 404
    assert (await client.request("PROPFIND", "/healthz")).status == 405
    samples = await scrape(client)
    assert value(samples, "moderation_http_requests_total", route="/v1/comments/{id}", method="GET",
                 status="404") == 1
    assert value(samples, "moderation_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value(samples, "moderation_http_requests_total", route="unmatched", method="other", status="405") == 1
    labels = {value for _, sample_labels in samples for _, value in sample_labels}
    assert not {"/no/such/page-4711", "kommblog:abc", "PROPFIND"} & labels


async def test_review_work_shows_in_the_queue_gauges(client, comment) -> None:  # type: ignore[no-untyped-def]
    first = await submit(client, comment, "r1", INSULT)
    await submit(client, comment, "r2", INSULT + " und so weiter")
    await client.post(f"/v1/review/items/{first['id']}/claim", headers=auth("moderator"))
    samples = await scrape(client)
    assert value(samples, "moderation_review_pending", site="kommblog") == 2
    assert value(samples, "moderation_review_claimed", site="kommblog") == 1
    assert value(samples, "moderation_review_oldest_age_seconds", site="kommblog") >= 0  # type: ignore[operator]

    decided = await client.post(f"/v1/review/items/{first['id']}/decision", json={"action": "approve"},
                                headers=auth("moderator"))
    assert decided.status == 200
    samples = await scrape(client)
    assert value(samples, "moderation_review_decisions_total", action="approve") == 1
    assert value(samples, "moderation_review_pending", site="kommblog") == 1
    assert value(samples, "moderation_review_claimed", site="kommblog") == 0


async def test_redis_down_is_a_value_and_spooled_decisions_show(aiohttp_client, settings, comment, private_redis):  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=private_redis.url)))
    await submit(client, comment, "before", INSULT)
    private_redis.stop()
    held = await submit(client, comment, "during", INSULT)
    assert held["status"] == "pending"
    samples = await scrape(client)
    assert value(samples, "moderation_redis_up") == 0
    assert value(samples, "moderation_spool_pending") == 1
    assert value(samples, "moderation_spooled_decisions_total") == 1
    assert value(samples, "moderation_decisions_total", decision="hold") == 2
    assert value(samples, "moderation_review_pending", site="kommblog") is None  # unknown, not zero


async def test_webhook_attempts_are_counted_by_result(aiohttp_client, aiohttp_server, settings, comment) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(failures=1)
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")))))
    held = await submit(client, comment, "w1", INSULT)
    await client.post(f"/v1/review/items/{held['id']}/claim", headers=auth("moderator"))
    await client.post(f"/v1/review/items/{held['id']}/decision", json={"action": "reject"},
                      headers=auth("moderator"))
    await eventually(lambda: receiver.delivered)

    async def delivered_count():  # type: ignore[no-untyped-def]
        # counted when the service has read the blog's answer, a moment after the blog has the payload
        return value(await scrape(client), "moderation_webhook_attempts_total", result="delivered")

    await eventually_async(delivered_count, 1)
    samples = await scrape(client)
    assert value(samples, "moderation_webhook_attempts_total", result="retry") == 1
    assert value(samples, "moderation_webhook_attempts_total", result="delivered") == 1
    assert value(samples, "moderation_webhook_due", site="kommblog") == 0


async def test_webhook_results_are_exported_from_zero(client) -> None:  # type: ignore[no-untyped-def]
    # The README's alert increase(moderation_webhook_attempts_total{result="failed"}[1h]) > 0 sees no increase
    # in a series that appears with its first failure at 1: each result is there at 0 from the start.
    samples = await scrape(client)
    for result in ("delivered", "retry", "failed"):
        assert value(samples, "moderation_webhook_attempts_total", result=result) == 0


def test_workers_share_their_counts_and_leave_no_folder_behind(tmp_path: Path, model_dir, redis_url) -> None:  # type: ignore[no-untyped-def]
    """Each of two workers answers some requests; a scrape, whichever worker answers it, counts all of them."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f"moderation-metrics-{int(gone.stdout)}-x1y2z3"  # left by a service killed with SIGKILL
    abandoned.mkdir()
    (abandoned / "counter_1.db").write_bytes(b"")
    process, port = serve_with_workers(tmp_path, model_dir, redis_url, MODERATION_API_KEYS=KEYS_JSON,
                                       TMPDIR=str(tmp_path))
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz")
        while len(serving_workers(process.pid, port)) < 2:
            wait_for(f"http://127.0.0.1:{port}/healthz")
        folders = list(tmp_path.glob("moderation-metrics-*"))
        assert folders == list(tmp_path.glob(f"moderation-metrics-{process.pid}-*"))  # the abandoned one is gone
        assert len(folders) == 1
        for _ in range(40):
            wait_for(f"http://127.0.0.1:{port}/healthz")
        for _ in range(4):  # whichever worker answers (each got about half of the 40), it has all the counts
            request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                             headers={"Authorization": f"Bearer {KEYS['monitor']}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                samples = parse(response.read().decode())
            assert value(samples, "moderation_http_requests_total", route="/healthz", method="GET",
                         status="200") >= 40  # type: ignore[operator]
    finally:
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 0, stderr
    assert not list(tmp_path.glob("moderation-metrics-*"))
    assert MULTIPROCESS_ENV not in os.environ
