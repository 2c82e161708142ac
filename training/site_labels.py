"""The labelled examples the service collected (moderator decisions, Akismet submit-spam/ham, Perspective
suggestscore), read from Redis or from JSONL exports, and split into a training part and the most recent
slice held back for evaluation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from redis.asyncio import Redis

from moderation_service.labels import LABELLED_EXAMPLE_SCHEMA
from moderation_service.model.text import normalize
from moderation_service.review.labels import LabelStore

from .datasets import Dataset
from .datasets.jsonl import read_records, to_example
from .split import group_key

#: A fresh site label counts as this many base examples (``--label-weight``); see :func:`as_datasets`.
DEFAULT_LABEL_WEIGHT = 3.0
#: Share of the collected labels, the most recent ones, held back to compare the models (``--holdout-fraction``).
DEFAULT_HOLDOUT_FRACTION = 0.2


@dataclass
class Collected:
    records: list[dict[str, Any]]  # loaded through the schema, oldest first
    origin: str  # "redis" or the files' names, for the manifest
    skipped: int = 0  # stored entries that do not fit the training schema

    def fingerprint(self) -> str:
        """sha256 of the records as used, so that a manifest names exactly which labels trained it."""
        digest = hashlib.sha256()
        for record in self.records:
            digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
        return digest.hexdigest()


def _oldest_first(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # ``labelled_at`` is ISO UTC, so text order is time order; a stable sort keeps stream order within a second.
    return sorted(records, key=lambda r: r.get("labelled_at") or "")


async def _export(redis_url: str) -> list[dict[str, Any]]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        return [example async for _, example in LabelStore(client).examples()]
    finally:
        await client.aclose()


def from_redis(redis_url: str) -> Collected:
    """Every collected example of every site (the same export as ``GET /v1/ops/labels``)."""
    records, skipped = [], 0
    for raw in asyncio.run(_export(redis_url)):
        try:
            records.append(LABELLED_EXAMPLE_SCHEMA.load(raw))
        except ValidationError:
            skipped += 1
    return Collected(_oldest_first(records), "redis", skipped)


def from_files(paths: Sequence[str | Path]) -> Collected:
    """Exports (``GET /v1/ops/labels``) or other JSONL files in the training schema."""
    records = [record for path in paths for record in read_records(Path(path))]
    return Collected(_oldest_first(records), ", ".join(Path(p).name for p in paths))


def split_recent(collected: Collected, fraction: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(training part, held-back part): the held-back part is the most recent ``fraction`` (rounded up), of the
    labels that stand (:func:`latest_per_text`: a label replaced by a later one of the same origin, held back or
    not, neither trains nor judges)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"the hold-out fraction must be at least 0 and below 1, got {fraction}")
    records = latest_per_text(collected.records)
    held = math.ceil(len(records) * fraction)
    cut = len(records) - held
    return records[:cut], records[cut:]


def as_datasets(records: Sequence[dict[str, Any]], weight: float, suffix: str = "") -> list[Dataset]:
    """One dataset per origin (``moderator``, ``akismet``, ``perspective``, …), each example weighing ``weight``;
    ``records``: a part :func:`split_recent` gives (the labels that stand, one per text and origin).

    The weight multiplies each example's own ``weight`` in the training loss, relative to 1 for a base
    example (German base sources weigh 2, see ``training/pipeline.py``). The default, 3, lets a few hundred
    decisions on a site's own comments (a new spam campaign, local vocabulary) move the model, while the
    ~95,000 base texts still dominate: moderators' labels are few, come from held comments only (not a
    sample of the traffic) and are occasionally wrong, so a much larger weight would let a handful of
    clicks decide. Each origin is its own source, so the heads' per-source offsets absorb its base rate.
    """
    if weight <= 0:
        raise ValueError(f"the label weight must be above 0, got {weight}")
    by_origin: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_origin.setdefault(record["source"], []).append(record)
    return [
        Dataset(
            f"{origin}{suffix}",
            [to_example(record, weight) for record in group],
            description=f"labels collected by the service ({origin}), weight {weight:g}",
        )
        for origin, group in sorted(by_origin.items())
    ]


def latest_per_text(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` (oldest first) without the earlier labels of a text labelled again by the same origin (the
    same normal form, as the training corpus groups texts), in their order: the corpus keeps one example per
    text and origin, and the latest label is the one that stands (a text let through, later marked spam)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for record in reversed(records):
        key = (record["source"], group_key(normalize(record["content"])))
        if key not in seen:
            seen.add(key)
            kept.append(record)
    return kept[::-1]


def summary(collected: Collected, train: Sequence[dict[str, Any]], held: Sequence[dict[str, Any]],
            weight: float, fraction: float) -> dict[str, Any]:
    """What the manifest and report record about the collected labels (no comment content)."""

    def span(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
        times = [r["labelled_at"] for r in records if r.get("labelled_at")]
        origins: dict[str, int] = {}
        for record in records:
            origins[record["source"]] = origins.get(record["source"], 0) + 1
        return {"examples": len(records), "from": min(times, default=None), "to": max(times, default=None),
                "by_origin": dict(sorted(origins.items()))}

    return {
        "origin": collected.origin,
        "sha256": collected.fingerprint(),
        "skipped_invalid": collected.skipped,
        "label_weight": weight,
        "holdout_fraction": fraction,
        "train": span(train),
        "held_back": span(held),
    }
