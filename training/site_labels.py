"""The labelled examples the service collected (moderator decisions, Akismet submit-spam/ham, Perspective
suggestscore), read from Redis or from JSONL exports, reduced to the labels that stand (the later human word
about a text, per label key: :func:`standing`), and split into a training part and the most recent slice held
back for evaluation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from redis.asyncio import Redis

from moderation_service.labels import LABELLED_EXAMPLE_SCHEMA
from moderation_service.model.attributes import KINDS_OF_TOXICITY
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

    @cached_property
    def stands(self) -> tuple[list[dict[str, Any]], Superseded]:
        """:func:`standing` of the records, worked out once (the split and the summary both read it)."""
        return standing(self.records)

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
    labels that stand (:func:`standing`: a label replaced by a later word about the same text, held back or
    not, neither trains nor judges)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"the hold-out fraction must be at least 0 and below 1, got {fraction}")
    records = collected.stands[0]
    held = math.ceil(len(records) * fraction)
    cut = len(records) - held
    return records[:cut], records[cut:]


def as_datasets(records: Sequence[dict[str, Any]], weight: float, suffix: str = "") -> list[Dataset]:
    """One dataset per origin (``moderator``, ``akismet``, ``perspective``, …), each example weighing ``weight``;
    ``records``: a part :func:`split_recent` gives (the labels that stand: one per text and label key).

    The weight multiplies each example's own ``weight`` in the training loss, relative to 1 for a base
    example (German base sources weigh 2, see ``training/pipeline.py``). The default, 3, lets a few hundred
    decisions on a site's own comments (a new spam campaign, local vocabulary) move the model, while the
    base texts (77,679 in data/) still dominate: moderators' labels are few, come from held comments only (not a
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


@dataclass(frozen=True)
class Superseded:
    """What :func:`standing` left out because another origin said later what a text is, per label key."""

    labels: int = 0  # labels (one example's one key) superseded, whether the later word agreed or not
    contradicting: int = 0  # of those, the ones the later word contradicted (spam 0, then spam 1)
    examples: int = 0  # examples left with no label at all, so dropped


def standing(records: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], Superseded]:
    """The labels that train and judge, of ``records`` (oldest first), in their order: the later human word
    about a text (its normal form, as the training corpus groups texts) stands, per label key.

    Within one origin, its latest example of a text replaces its earlier ones whole (a text let through, later
    marked spam). Across origins, each label key of a text keeps only its latest value: a moderator who approved
    a comment (spam 0, toxicity 0) that the blog's admin later marked spam through Akismet (spam 1) leaves the
    moderator's toxicity 0 and the blog's spam 1; a moderator's spam, then the blog's "not spam", leaves the
    blog's alone. A later toxicity 0 also supersedes an earlier 1 of a kind of toxicity (insult, threat, …): a
    comment rejected as an insult, then approved in Coral (toxicity 0), trains no insult (a comment with toxicity
    0 has all of them 0: :data:`~moderation_service.model.attributes.TOXICITY_FAMILY`); and a later 1 of a kind
    supersedes an earlier toxicity 0. An example's own keys never supersede each other. An example left without
    labels is dropped; nothing is removed from the label store.
    """
    replaced: set[tuple[str, str]] = set()  # (origin, text) with a later example of that origin
    said: dict[tuple[str, str], int] = {}  # (text, key) -> the later word's value
    kept: list[dict[str, Any]] = []
    labels = contradicting = examples = 0
    for record in reversed(records):
        text = group_key(normalize(record["content"]))  # once per record: the costly part on a large export
        if (record["source"], text) in replaced:
            continue
        replaced.add((record["source"], text))
        own: dict[str, int] = {}
        for key, value in record["labels"].items():
            later = said.get((text, key))
            if later is None and key in KINDS_OF_TOXICITY and value == 1 and said.get((text, "toxicity")) == 0:
                later = 0  # a later "not toxic" says that none of toxicity's kinds applies
            if later is None and key == "toxicity" and value == 0 and any(
                    said.get((text, kind)) == 1 for kind in KINDS_OF_TOXICITY):
                later = 1  # a later word of a kind of toxicity (an insult) says the text is toxic
            if later is None:
                own[key] = value
            else:
                labels += 1
                contradicting += later != value
        # only after its keys were weighed: an example's own keys (toxicity 0, insult 1) never supersede each other
        said.update(((text, key), value) for key, value in own.items())
        if not own:
            examples += 1
        else:
            kept.append(record if len(own) == len(record["labels"]) else {**record, "labels": own})
    return kept[::-1], Superseded(labels, contradicting, examples)


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
        # labels given way to another origin's later word about the same text (see :func:`standing`)
        "superseded_by_other_origin": asdict(collected.stands[1]),
        "train": span(train),
        "held_back": span(held),
    }
