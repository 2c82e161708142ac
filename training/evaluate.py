"""Validation metrics at the chosen thresholds, as JSON-ready dicts and as a readable table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from .thresholds import held_by_family


def binary_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    predicted = scores >= threshold
    both = len(np.unique(y)) == 2
    return {
        "examples": int(len(y)),
        "positives": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if both else None,
        "threshold": threshold,
        "precision": round(float(precision_score(y, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(y, predicted, zero_division=0)), 4) if y.any() else None,
        "f1": round(float(f1_score(y, predicted, zero_division=0)), 4) if y.any() else None,
        "macro_f1": round(float(f1_score(y, predicted, average="macro", zero_division=0)), 4) if both else None,
        "flagged_rate": round(float(predicted.mean()), 4),
        # Share of the negatives flagged: for a source without positives (every toxicity dataset for spam)
        # this is the only number that says how it fares.
        "false_positive_rate": round(float(predicted[y == 0].mean()), 4) if (y == 0).any() else None,
    }


def decision_metrics(y: np.ndarray, held: np.ndarray) -> dict[str, Any]:
    """:func:`binary_metrics` of a decision (held or not) that no single score and threshold make."""
    return {**binary_metrics(y, held.astype(float), 0.5), "roc_auc": None, "threshold": None}


def evaluate(
    Y: np.ndarray,
    P: np.ndarray,
    sources: np.ndarray,
    attributes: Sequence[str],
    thresholds: dict[str, dict[str, float]],
    untrained: Sequence[str] = (),
) -> dict[str, Any]:
    """Per attribute: ROC-AUC, precision, recall and F1 at the hold threshold, overall and per source.

    An attribute in ``untrained`` (no head: its score is always 0) is marked ``"trained": false``. Toxicity
    also gets ``held_by_any_score``: the hold decision of the whole family (any of toxicity's six scores at
    or above its threshold) against the toxicity label, which is what the moderators see.
    """
    report: dict[str, Any] = {}
    for j, attribute in enumerate(attributes):
        known = ~np.isnan(Y[:, j])
        if not known.any():
            continue
        y, p, src = Y[known, j].astype(int), P[known, j], sources[known]
        entry = binary_metrics(y, p, thresholds[attribute]["hold"])
        if "spam" in thresholds[attribute]:
            entry["at_spam_threshold"] = binary_metrics(y, p, thresholds[attribute]["spam"])
        entry["by_source"] = {
            name: binary_metrics(y[src == name], p[src == name], thresholds[attribute]["hold"])
            for name in sorted(np.unique(src))
        }
        if attribute == "toxicity" and attribute not in untrained:
            held = held_by_family(P[known], attributes, thresholds)  # an untrained score is 0: it holds nothing
            entry["held_by_any_score"] = {
                **decision_metrics(y, held),
                "by_source": {name: decision_metrics(y[src == name], held[src == name])
                              for name in sorted(np.unique(src))},
            }
        if attribute in untrained:
            entry["trained"] = False
        report[attribute] = entry
    return report


def _fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def format_table(report: dict[str, Any]) -> str:
    """The report as fixed-width text: one row per attribute, then per-source rows."""
    header = (
        f"{'attribute':<18}{'source':<24}{'n':>7}{'pos':>7}{'ROC-AUC':>9}{'thresh':>8}{'prec':>8}{'recall':>8}{'F1':>8}"
        f"{'FPR':>8}"
    )
    lines = [header, "-" * len(header)]

    def row(attribute: str, source: str, m: dict[str, Any]) -> str:
        return (
            f"{attribute:<18}{source:<24}{m['examples']:>7}{m['positives']:>7}{_fmt(m['roc_auc']):>9}"
            f"{_fmt(m['threshold'], 3):>8}{_fmt(m['precision'] if m['positives'] else None):>8}{_fmt(m['recall']):>8}"
            f"{_fmt(m['f1']):>8}{_fmt(m['false_positive_rate']):>8}"
        )

    for attribute, entry in report.items():
        lines.append(row(attribute, "(all)" if entry.get("trained", True) else "(all; not trained)", entry))
        if "at_spam_threshold" in entry:
            lines.append(row("", "(all, spam threshold)", entry["at_spam_threshold"]))
        for source, metrics in entry["by_source"].items():
            lines.append(row("", source[:23], metrics))
        if "held_by_any_score" in entry:
            decision = entry["held_by_any_score"]
            lines.append(row("held (any score)", "(all)", decision))
            for source, metrics in decision["by_source"].items():
                lines.append(row("", source[:23], metrics))
    return "\n".join(lines)
