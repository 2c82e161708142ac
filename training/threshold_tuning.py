"""``moderation-train thresholds``: choose a model's threshold for a target precision or hold rate.

The model scores the validation split of the given data (the hash split it was trained with, so texts it
never saw); each comment counts once. ``--precision P`` picks the lowest threshold whose precision reaches
P (:func:`training.thresholds.precision_threshold`); ``--hold-rate R`` the lowest threshold that holds at
most the share R of the comments (:func:`training.thresholds.hold_rate_threshold`). The trade-off table
shows what the neighbouring thresholds would give. Pass data like the site's traffic (e.g. an export of
``GET /v1/ops/labels``) for rates that match the site: the base datasets' mix is not a blog's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moderation_service.model import artifact
from moderation_service.model.attributes import ATTRIBUTES, TOXICITY_FAMILY

from .registry import is_live, load_pipeline, update_manifest
from .split import in_validation
from .thresholds import held_by_family, hold_rate_threshold, precision_threshold, sweep
from .train import build_corpus, load_data, score_texts

GRID = np.round(np.arange(0.05, 1.0, 0.05), 2)


@dataclass
class Choice:
    attribute: str
    kind: str  # "hold" or "spam"
    target: str  # e.g. "precision >= 0.99"
    current: float
    chosen: float
    table: str


def validation_scores(directory: Path, data: Sequence[str], attribute: str,
                      report: Callable[[str], None]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(labels, scores of every attribute) on the validation split of ``data`` where ``attribute``'s label is
    known, and the model's manifest."""
    pipeline, manifest = load_pipeline(directory)
    if attribute in manifest.get("untrained_attributes", ()):
        raise ValueError(f"{directory} does not score {attribute}: its training data had no examples of both classes "
                         f"for it, so its {attribute} score is always 0 and no threshold makes it hold a comment; "
                         f"train a model on data with {attribute} labels")
    corpus = build_corpus(load_data(data, report))
    split = manifest.get("validation", {})
    validation = corpus.subset(in_validation(corpus.normalized, split.get("fraction", 0.15),
                                             split.get("seed", "validation-v1")))
    j = ATTRIBUTES.index(attribute)
    known = ~np.isnan(validation.Y[:, j])
    if len(np.unique(validation.Y[known, j])) < 2:
        raise ValueError(f"the validation split of --data has no examples of both classes for {attribute!r}")
    scores = score_texts(pipeline, validation.normalized)
    return validation.Y[known, j].astype(int), scores[known], manifest


def family_hold_rates(scores: np.ndarray, thresholds: dict[str, dict[str, float]], attribute: str,
                      chosen: float) -> tuple[float, float]:
    """Share of the comments that some toxicity score holds: with the thresholds as they are, and with
    ``chosen`` for ``attribute`` (the others as they are). The hold decision is any of the six."""
    with_chosen = {**thresholds, attribute: {**thresholds[attribute], "hold": chosen}}
    return (float(held_by_family(scores, ATTRIBUTES, thresholds).mean()),
            float(held_by_family(scores, ATTRIBUTES, with_chosen).mean()))


def tradeoff_table(y: np.ndarray, scores: np.ndarray, marks: dict[float, str]) -> str:
    cuts = np.unique(np.r_[GRID, list(marks)])
    counts = sweep(y, scores, cuts)
    header = f"{'threshold':>10}{'precision':>11}{'recall':>8}{'hold rate':>11}{'wrongly held':>14}{'missed':>8}"
    lines = [header, "-" * len(header)]
    for i, cut in enumerate(cuts):
        lines.append(f"{cut:>10.4f}{counts.precision[i]:>11.4f}{counts.recall[i]:>8.4f}{counts.hold_rate[i]:>11.4f}"
                     f"{int(counts.false_positives[i]):>14}{int(counts.misses[i]):>8}  {marks.get(float(cut), '')}")
    lines.append(f"{counts.examples:,} validation comments, {counts.positives:,} positive")
    return "\n".join(lines)


def choose(directory: Path, data: Sequence[str], attribute: str, kind: str, precision: float | None,
           hold_rate: float | None, report: Callable[[str], None]) -> Choice:
    if kind == "spam" and attribute != "spam":
        raise ValueError("only the spam score has a 'spam' threshold; use --kind hold")
    y, all_scores, manifest = validation_scores(directory, data, attribute, report)
    scores = all_scores[:, ATTRIBUTES.index(attribute)]
    if precision is not None:
        chosen, target = precision_threshold(y, scores, np.ones(len(y)), precision), f"precision >= {precision}"
    else:
        assert hold_rate is not None
        chosen, target = hold_rate_threshold(scores, hold_rate), f"hold rate <= {hold_rate}"
    chosen = math.floor(chosen * 10_000) / 10_000  # 4 places, rounded down: the cut's own comment stays above it
    at_chosen = sweep(y, scores, np.array([chosen]))
    reached = (at_chosen.precision[0] >= precision if precision is not None
               else at_chosen.hold_rate[0] <= hold_rate)  # type: ignore[operator]
    if not reached:
        target += (f" (not reached: even {chosen:.4f} gives precision {at_chosen.precision[0]:.4f}, hold rate "
                   f"{at_chosen.hold_rate[0]:.4f})")
    current = float(manifest["thresholds"][attribute][kind])
    marks = {current: "<- current", chosen: "<- chosen"} if chosen != current else {chosen: "<- chosen = current"}
    table = tradeoff_table(y, scores, marks)
    if attribute in TOXICITY_FAMILY:
        now, then = family_hold_rates(all_scores, manifest["thresholds"], attribute, chosen)
        table += (f"\nheld by any of toxicity's six scores (a comment is held when one reaches its threshold): "
                  f"{now:.4f} now, {then:.4f} with the chosen {attribute} threshold")
    return Choice(attribute, kind, target, current, chosen, table)


def write_choice(directory: Path, choice: Choice) -> tuple[dict[str, dict[str, float]], dict[str, Any] | None]:
    """Store the threshold in the manifest and log the change there (the spam cut never goes below hold).

    A model that went through ``retrain``'s gate keeps the gate's record (``gate``: what it judged, against
    which live model), and the change is noted in it too (``gate.thresholds_changed``): the gate's F1 at the
    hold threshold and share of ordinary comments marked spam were measured at the thresholds before, so its
    verdict no longer covers the model as it now decides (:func:`training.registry.promote` then asks for
    ``--force``, unless the change was made while the model was live: then the operator chose it for the
    model in service, and a rollback and promotion again need no ``--force``). Returns the thresholds and the
    gate record (None for a model without one)."""
    manifest = artifact.verify(directory)
    thresholds = {name: dict(values) for name, values in manifest["thresholds"].items()}
    thresholds[choice.attribute][choice.kind] = choice.chosen
    if "spam" in thresholds[choice.attribute]:
        spam = thresholds[choice.attribute]
        spam["spam"] = max(spam["spam"], spam["hold"])
    change = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "attribute": choice.attribute,
              "kind": choice.kind, "target": choice.target, "from": choice.current, "to": choice.chosen}
    fields: dict[str, Any] = {"thresholds": thresholds,
                              "threshold_changes": [*manifest.get("threshold_changes", []), change]}
    gate = manifest.get("gate")
    if isinstance(gate, dict):  # made while it served (the operator saw it decide so), or before it was promoted
        noted = {**change, "while_live": is_live(directory)}
        fields["gate"] = gate = {**gate, "thresholds_changed": [*gate.get("thresholds_changed", []), noted]}
    update_manifest(directory, **fields)
    return thresholds, gate if isinstance(gate, dict) else None
