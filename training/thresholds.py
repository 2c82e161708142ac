"""Choose the policy's default thresholds from validation scores.

Every source gets the same total weight, so that a threshold suits all kinds of text the model was
validated on rather than the largest dataset: ``hold`` maximises that weighted F1, and the spam
threshold is the lowest score whose weighted precision reaches the target (clearly spam).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIN_THRESHOLD, MAX_THRESHOLD = 0.05, 0.99


def source_weights(sources: np.ndarray) -> np.ndarray:
    names, inverse, counts = np.unique(sources, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse]


def _cuts(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descending distinct scores with the weighted true and false positives of ``score >= cut``."""
    order = np.argsort(-scores, kind="stable")
    scores, y, weights = scores[order], y[order], weights[order]
    tp = np.cumsum(weights * (y == 1))
    fp = np.cumsum(weights * (y == 0))
    last_of_value = np.r_[scores[1:] != scores[:-1], True]
    return scores[last_of_value], tp[last_of_value], fp[last_of_value]


def best_f1_threshold(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> float:
    cuts, tp, fp = _cuts(y, scores, weights)
    positives = tp[-1]
    f1 = 2 * tp / (positives + tp + fp)
    return float(np.clip(cuts[int(np.argmax(f1))], MIN_THRESHOLD, MAX_THRESHOLD))


def precision_threshold(y: np.ndarray, scores: np.ndarray, weights: np.ndarray, target: float) -> float:
    """The lowest cut at which the weighted precision of ``score >= cut`` is at least ``target``."""
    cuts, tp, fp = _cuts(y, scores, weights)
    reaching = np.flatnonzero(tp / np.maximum(tp + fp, 1e-12) >= target)
    if not len(reaching):
        return MAX_THRESHOLD
    return float(np.clip(cuts[reaching[-1]], MIN_THRESHOLD, MAX_THRESHOLD))


def choose_thresholds(
    Y: np.ndarray, P: np.ndarray, sources: np.ndarray, attributes: Sequence[str], spam_precision: float
) -> dict[str, dict[str, float]]:
    thresholds: dict[str, dict[str, float]] = {}
    for j, attribute in enumerate(attributes):
        known = ~np.isnan(Y[:, j])
        y, p, w = Y[known, j], P[known, j], source_weights(sources[known])
        if len(np.unique(y)) < 2:
            raise ValueError(f"validation data has no examples of both classes for {attribute!r}")
        hold = round(best_f1_threshold(y, p, w), 4)
        thresholds[attribute] = {"hold": hold}
        if attribute == "spam":
            thresholds[attribute]["spam"] = round(max(precision_threshold(y, p, w, spam_precision), hold), 4)
    return thresholds
