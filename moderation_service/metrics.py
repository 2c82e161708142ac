"""Prometheus metrics: what the service did (counters kept by each process) and what it holds now (read from
Redis and the spool when scraped).

With ``serve --workers N`` every worker is its own process and a scrape reaches whichever one the kernel picks,
so the supervisor gives the workers a shared folder (:func:`multiprocess_folder`): each worker keeps its
counters there (prometheus_client's multiprocess mode) and a scrape sums all of them. Counters are cheap on the
hot path (a lock and an add); everything that needs Redis is read only when ``/metrics`` is asked.

Labels take only bounded values (decisions, routes, status codes, signal and score names, configured or
queued sites), never a value a client chooses freely.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from .comments import Record

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Seconds; the decision path answers in about a millisecond, the review and UI pages in a few.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The counters of one service process (one per application, so that tests do not share counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "moderation_http_requests", "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"], registry=self.registry)
        self.http_latency = Histogram(
            "moderation_http_request_duration_seconds", "Time from a request's arrival to its answer, by route.",
            ["route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.decisions = Counter(
            "moderation_decisions",
            "Comments decided, new ones and edits (a repeated submission is not counted again).",
            ["decision"], registry=self.registry)
        self.decision_reasons = Counter(
            "moderation_decision_reasons",
            "Scores and signals given as a decision's reasons, by the decision they went with.",
            ["kind", "name", "decision"], registry=self.registry)
        self.spooled = Counter(
            "moderation_spooled_decisions", "Decisions kept in the local spool because Redis was unreachable.",
            registry=self.registry)
        self.repeated = Counter(
            "moderation_repeated_submissions", "Submissions of a comment already decided (answered as before).",
            registry=self.registry)
        self.edits = Counter(
            "moderation_edited_submissions", "Edits of a stored comment (the blog's id, another text), decided anew.",
            registry=self.registry)
        self.review_decisions = Counter(
            "moderation_review_decisions",
            "Held comments decided by moderators, by action (reopen: a decision taken back).",
            ["action"], registry=self.registry)
        self.webhook_attempts = Counter(
            "moderation_webhook_attempts", "Webhook deliveries attempted, by result (delivered, retry, failed).",
            ["result"], registry=self.registry)
        self._children: dict[tuple[Any, ...], Any] = {}
        # Exported at 0 from the start: Prometheus's increase() sees no increase in a series that first
        # appears at 1, so an alert on the first delivery that failed for good would never fire.
        for result in ("delivered", "retry", "failed"):
            self._child(self.webhook_attempts, result)

    def decided(self, record: Record, *, repeated: bool, spooled: bool) -> None:
        if repeated:
            self.repeated.inc()
            return
        decision = record.decision.value
        self._child(self.decisions, decision).inc()
        if spooled:
            self.spooled.inc()
        if record.revision > 1:
            self.edits.inc()
        for reason in record.reasons:
            self._child(self.decision_reasons, reason["kind"], reason["name"], decision).inc()

    def reviewed(self, action: str, count: int = 1) -> None:
        self._child(self.review_decisions, action).inc(count)

    def webhook_attempted(self, result: str) -> None:
        self._child(self.webhook_attempts, result).inc()

    def answered(self, route: str, method: str, status: int | str, seconds: float) -> None:
        method = method if method in KNOWN_METHODS else "other"
        self._child(self.http_requests, route, method, str(status)).inc()
        self._child(self.http_latency, route, method).observe(seconds)

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """``metric.labels(*labels)``, remembered: the library's lookup takes a lock and builds a key each time,
        several microseconds on every request."""
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def counters(self) -> CollectorRegistry:
        """What to expose of the counters: this process's, or every worker's when they share a folder."""
        folder = os.environ.get(MULTIPROCESS_ENV)
        if not folder:
            return self.registry
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
        return registry


@dataclass
class SiteState:
    pending: int = 0
    claimed: int = 0
    oldest_age_seconds: float | None = None
    webhooks_due: int | None = None


@dataclass
class Snapshot:
    """What the service holds at the moment of a scrape; Redis's part is left out while Redis is away."""

    redis_up: bool
    model_version: str
    model_reload_failed: bool
    spool_pending: int
    spool_rejected: int
    sites: Mapping[str, SiteState] = field(default_factory=dict)

    def collect(self) -> Iterator[Metric]:
        yield _gauge("moderation_redis_up", "1 while Redis answers, 0 while decisions go to the spool.",
                     float(self.redis_up))
        info = InfoMetricFamily("moderation_model", "The model version that scores comments.")
        info.add_metric([], {"version": self.model_version})
        yield info
        yield _gauge("moderation_model_reload_failed", "1 when the last reload or promotion was refused.",
                     float(self.model_reload_failed))
        yield _gauge("moderation_spool_pending", "Decisions in the local spool waiting for Redis.",
                     self.spool_pending)
        yield _gauge("moderation_spool_rejected", "Spooled records Redis refused, set aside (see the log).",
                     self.spool_rejected)
        if not self.redis_up:
            return
        yield _by_site("moderation_review_pending", "Held comments waiting for a moderator.",
                       ((s, state.pending) for s, state in self.sites.items()))
        yield _by_site("moderation_review_claimed", "Held comments a moderator holds a lease on.",
                       ((s, state.claimed) for s, state in self.sites.items()))
        yield _by_site("moderation_review_oldest_age_seconds", "Age of the oldest held comment still waiting.",
                       ((s, state.oldest_age_seconds) for s, state in self.sites.items()
                        if state.oldest_age_seconds is not None))
        yield _by_site("moderation_webhook_due", "Webhook deliveries waiting to be sent or retried.",
                       ((s, state.webhooks_due) for s, state in self.sites.items()
                        if state.webhooks_due is not None))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _by_site(name: str, documentation: str, values: Iterable[tuple[str, float]]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=["site"])
    for site_id, value in values:
        gauge.add_metric([site_id], value)
    return gauge


class _SnapshotCollector:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        return self.snapshot.collect()


def exposition(metrics: Metrics, snapshot: Snapshot) -> bytes:
    """The text format Prometheus scrapes: the counters, then the snapshot's gauges."""
    state = CollectorRegistry(auto_describe=False)
    state.register(_SnapshotCollector(snapshot))
    return generate_latest(metrics.counters()) + generate_latest(state)


FOLDER_PREFIX = "moderation-metrics-"


@contextmanager
def multiprocess_folder() -> Iterator[str]:
    """A fresh folder for the workers' counters, named in the environment the workers inherit; removed after.

    Must be entered before the workers start (prometheus_client reads the variable when a process first makes
    a metric). A fresh folder per run: counters start at zero when the service starts, as Prometheus expects.
    The folder's name carries this process's id, so that a run can remove what a killed one left behind.
    """
    remove_abandoned_folders(Path(tempfile.gettempdir()))
    folder = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")
    previous = os.environ.get(MULTIPROCESS_ENV)
    os.environ[MULTIPROCESS_ENV] = folder
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_ENV, None)
        else:
            os.environ[MULTIPROCESS_ENV] = previous
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned_folders(parent: Path) -> None:
    """Remove the counter folders of services that were killed (SIGKILL leaves no chance to clean up)."""
    for folder in parent.glob(f"{FOLDER_PREFIX}*-*"):
        owner = folder.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
