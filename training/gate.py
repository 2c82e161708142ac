"""The promotion gate: a candidate replaces the live model only if it is not worse on any score.

On every evaluation set and every score with at least ``min_per_class`` examples of each class there:

* ROC-AUC may fall by at most ``auc_tolerance`` (default 0.01): the ranking quality, independent of
  thresholds, is what retraining must not lose;
* F1 at the hold threshold may fall by at most ``f1_tolerance`` (default 0.02): what moderators and
  authors actually see is the decision at the threshold, and a model can keep its ranking but choose a
  worse cut. F1 moves more than ROC-AUC from one threshold choice to the next, hence the wider tolerance.
  For the toxicity family this is the F1 of the hold decision (any of the six scores at its threshold)
  against the toxicity label, as the thresholds were chosen: the five narrower scores' thresholds are
  raised to make that decision best, not their own F1, and a few labels can move them far (identity_attack
  0.23 to 0.68 with 9 moderator labels, the decision's F1 0.9116 to 0.9114), so their own F1 is reported,
  not gated. Their ROC-AUC is gated like every score's.

* the share of ordinary comments marked spam (false-positive rate at the spam threshold) may rise by at most
  ``spam_fpr_tolerance`` (default 0.002, absolute): those comments are never seen by a moderator, so a
  candidate that keeps its ranking and its F1 at the hold threshold must not mark more good comments spam.
  A set is gated on it only where the tolerance is at least 3 of its ordinary comments (1,500 at the
  default): below that, one or two comments more or fewer are noise.

Scores with fewer than 30 examples of a class in a set are reported as not gated: with a few dozen
positives one example moves F1 by several hundredths, more than any tolerance, and a gate that refuses on
noise teaches operators to use ``--force``. On the full base data every score has hundreds of each class.
With no live model there is nothing to compare and the gate passes. A candidate that does not score what the
live model scores (trained without labels for it) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from moderation_service.model.attributes import KINDS_OF_TOXICITY

DEFAULT_AUC_TOLERANCE = 0.01
DEFAULT_F1_TOLERANCE = 0.02
DEFAULT_MIN_PER_CLASS = 30
DEFAULT_SPAM_FPR_TOLERANCE = 0.002
#: The fewest ordinary comments the spam false-positive-rate tolerance must amount to in a set to be gated.
SPAM_FPR_MIN_COMMENTS = 3

#: Exit code of ``moderation-train retrain`` when the gate refuses the candidate.
REFUSED = 3


@dataclass(frozen=True)
class GateRules:
    auc_tolerance: float = DEFAULT_AUC_TOLERANCE
    f1_tolerance: float = DEFAULT_F1_TOLERANCE
    min_per_class: int = DEFAULT_MIN_PER_CLASS
    spam_fpr_tolerance: float = DEFAULT_SPAM_FPR_TOLERANCE

    def __post_init__(self) -> None:
        """A rule that makes no sense is bad input (``retrain``'s options named), checked before any training."""
        for option, value in (("--tolerance", self.auc_tolerance), ("--f1-tolerance", self.f1_tolerance),
                              ("--spam-fpr-tolerance", self.spam_fpr_tolerance)):
            if not 0 <= value < 1:
                raise ValueError(f"{option} must be at least 0 and below 1 (what the candidate may lose), got {value}")
        if self.min_per_class < 1:
            raise ValueError(f"--min-per-class must be at least 1, got {self.min_per_class}")

    def tolerance(self, metric: str) -> float:
        return {"roc_auc": self.auc_tolerance, "f1": self.f1_tolerance}[metric]


def _failure(set_name: str, score: str, metric: str, candidate: float, current: float, tolerance: float) -> dict:
    difference = round(candidate - current, 4)
    label = {"roc_auc": "ROC-AUC", "f1": "F1 at hold threshold",
             "spam_fpr": "ordinary comments marked spam (unreviewed)"}[metric]
    return {
        "set": set_name, "score": score, "metric": metric, "candidate": candidate, "current": current,
        "difference": difference, "tolerance": tolerance,
        "message": f"{score} on {set_name}: {label} {candidate:.4f} vs {current:.4f} live "
                   f"({difference:+.4f}, tolerance {tolerance:.4f})",
    }


def check(sets: dict[str, Any], rules: GateRules, lost: Sequence[str] = ()) -> dict[str, Any]:
    """The gate's result for a report's ``sets`` (see :func:`training.comparison.compare_set`).

    ``lost``: scores the live model has and the candidate was trained without labels for (always 0): each
    is a failure whatever the sets say, since no evaluation set may carry those labels to show the loss.
    """
    failures: list[dict[str, Any]] = [
        {"set": None, "score": score, "metric": "trained", "candidate": None, "current": None, "difference": None,
         "tolerance": None, "message": f"{score}: the candidate was trained without labels for it and scores it 0; "
                                       "the live model scores it"}
        for score in lost
    ]
    not_gated = []
    for set_name, entry in sets.items():
        if "current" not in entry:
            continue
        for score, mine in entry["candidate"]["scores"].items():
            theirs = entry["current"]["scores"][score]
            negatives = mine["examples"] - mine["positives"]
            if min(mine["positives"], negatives) < rules.min_per_class:
                not_gated.append(f"{score} on {set_name} ({mine['positives']} positive, {negatives} negative)")
                continue
            for metric in ("roc_auc", "f1"):
                # the kinds' thresholds serve toxicity's decision: their F1 is not gated, the decision's is
                if metric == "f1" and score in KINDS_OF_TOXICITY:
                    continue
                tolerance = rules.tolerance(metric)
                if None not in (mine[metric], theirs[metric]) and mine[metric] < theirs[metric] - tolerance:
                    failures.append(_failure(set_name, score, metric, mine[metric], theirs[metric], tolerance))
            failure = _spam_fpr_failure(set_name, score, mine, theirs, negatives, rules)
            if failure:
                failures.append(failure)
    compared = any("current" in entry for entry in sets.values())
    return {
        "passed": not failures,
        "compared_with_live": compared,
        "rules": asdict(rules),
        "failures": failures,
        "not_gated": not_gated,
    }


def _spam_fpr_failure(set_name: str, score: str, mine: dict[str, Any], theirs: dict[str, Any], negatives: int,
                      rules: GateRules) -> dict[str, Any] | None:
    """The candidate marks more of the set's ordinary comments spam than the live model, beyond the tolerance
    (only where the tolerance amounts to :data:`SPAM_FPR_MIN_COMMENTS` comments or more)."""
    if "at_spam_threshold" not in mine or "at_spam_threshold" not in theirs:
        return None
    if negatives * rules.spam_fpr_tolerance < SPAM_FPR_MIN_COMMENTS:
        return None
    candidate = mine["at_spam_threshold"]["false_positive_rate"]
    current = theirs["at_spam_threshold"]["false_positive_rate"]
    if None in (candidate, current) or candidate <= current + rules.spam_fpr_tolerance:
        return None
    return _failure(set_name, score, "spam_fpr", candidate, current, rules.spam_fpr_tolerance)
