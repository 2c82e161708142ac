"""The candidate and the live model scored on the same evaluation sets, and the differences between them.

Evaluation sets: ``base_validation`` is the fixed hash split of the base datasets (:mod:`training.split`:
the same texts for every model trained with the same fraction and seed, never trained on), and
``recent_labels`` is the most recent slice of the collected labels, held back from the candidate's training.

Each model is measured at its own thresholds (the ones it would serve with). Per score: ROC-AUC, precision,
recall and F1 at the ``hold`` threshold (and at ``spam`` for spam), and ``hold_rate``, the share of the
set's comments at or above that score's hold threshold; and the same for toxicity's hold decision
(:data:`TOXICITY_DECISION`) against the toxicity label. Per model: ``workload``, the share of comments the
model alone would send to review (some score at its hold threshold, but not marked spam) and mark spam.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from moderation_service.model.attributes import ATTRIBUTES

from .datasets import Dataset
from .evaluate import binary_metrics, decision_metrics
from .split import in_validation
from .thresholds import held_by_family
from .train import Corpus, build_corpus, score_texts

#: The row of toxicity's hold decision (any of the family's scores at its hold threshold) against the toxicity
#: label: the narrower scores' thresholds are chosen for this decision, not for their own F1.
TOXICITY_DECISION = "held (any score)"
#: Metrics that are compared, as (key in the metrics, label in the table).
COMPARED = (("roc_auc", "AUC"), ("f1", "F1"), ("precision", "prec"), ("recall", "recall"), ("flagged_rate", "hold"))


@dataclass
class EvaluationSet:
    name: str
    corpus: Corpus


@dataclass
class Scored:
    """One model on one evaluation set: the scores of every text and the thresholds used."""

    scores: np.ndarray
    thresholds: dict[str, dict[str, float]]


def evaluation_sets(base: Sequence[Dataset], held_back: Sequence[Dataset], fraction: float,
                    seed: str) -> list[EvaluationSet]:
    corpus = build_corpus(base)
    sets = [EvaluationSet("base_validation", corpus.subset(in_validation(corpus.normalized, fraction, seed)))]
    if held_back:
        sets.append(EvaluationSet("recent_labels", build_corpus(held_back)))
    return [s for s in sets if len(s.corpus)]


def score(pipeline: Pipeline, thresholds: dict[str, dict[str, float]], evaluation: EvaluationSet) -> Scored:
    return Scored(score_texts(pipeline, evaluation.corpus.normalized), thresholds)


def workload(scored: Scored) -> dict[str, float]:
    """Shares of all comments held for review and marked spam by the model's scores alone."""
    P, thresholds = scored.scores, scored.thresholds
    if not len(P):
        return {"hold_rate": 0.0, "spam_rate": 0.0}
    spam = P[:, ATTRIBUTES.index("spam")] >= thresholds["spam"]["spam"]
    any_hold = np.any([P[:, j] >= thresholds[a]["hold"] for j, a in enumerate(ATTRIBUTES)], axis=0)
    return {"hold_rate": round(float((any_hold & ~spam).mean()), 4), "spam_rate": round(float(spam.mean()), 4)}


def metrics(corpus: Corpus, scored: Scored) -> dict[str, Any]:
    """Per score with known labels in the set: the metrics at the hold (and spam) threshold."""
    found: dict[str, Any] = {}
    for j, attribute in enumerate(ATTRIBUTES):
        known = ~np.isnan(corpus.Y[:, j])
        if not known.any():
            continue
        y, p = corpus.Y[known, j].astype(int), scored.scores[known, j]
        entry = binary_metrics(y, p, scored.thresholds[attribute]["hold"])
        entry["flagged_rate"] = round(float((scored.scores[:, j] >= scored.thresholds[attribute]["hold"]).mean()), 4)
        if "spam" in scored.thresholds[attribute]:
            entry["at_spam_threshold"] = binary_metrics(y, p, scored.thresholds[attribute]["spam"])
        found[attribute] = entry
    toxicity = ATTRIBUTES.index("toxicity")
    known = ~np.isnan(corpus.Y[:, toxicity])
    if known.any():
        held = held_by_family(scored.scores, ATTRIBUTES, scored.thresholds)
        found[TOXICITY_DECISION] = decision_metrics(corpus.Y[known, toxicity].astype(int), held[known])
        found[TOXICITY_DECISION]["flagged_rate"] = round(float(held.mean()), 4)
    return found


def _difference(candidate: dict[str, Any], current: dict[str, Any]) -> dict[str, float | None]:
    return {
        key: None if candidate.get(key) is None or current.get(key) is None
        else round(candidate[key] - current[key], 4)
        for key, _ in COMPARED
    }


def compare_set(evaluation: EvaluationSet, candidate: Scored, current: Scored | None) -> dict[str, Any]:
    """The report entry of one evaluation set (``current`` is None when no model is live)."""
    entry: dict[str, Any] = {
        "examples": len(evaluation.corpus),
        "sources": dict(zip(*np.unique(evaluation.corpus.sources.astype(str), return_counts=True), strict=True)),
        "candidate": {"scores": metrics(evaluation.corpus, candidate), "workload": workload(candidate)},
    }
    entry["sources"] = {str(k): int(v) for k, v in entry["sources"].items()}
    if current is None:
        return entry
    entry["current"] = {"scores": metrics(evaluation.corpus, current), "workload": workload(current)}
    mine, theirs = entry["candidate"], entry["current"]
    entry["difference"] = {
        "scores": {a: _difference(m, theirs["scores"][a]) for a, m in mine["scores"].items()},
        "workload": {k: round(v - theirs["workload"][k], 4) for k, v in mine["workload"].items()},
    }
    return entry
