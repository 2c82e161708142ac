"""Choose the policy's default thresholds from validation scores.

``hold`` is chosen so that every source counts equally, in one of two ways:

* when every validation source carries both classes of an attribute (toxicity on the shared data), the
  cut maximises the **mean of the sources' own F1 scores**: each dataset's precision/recall trade-off
  counts once, whatever its base rate (Davidson's 84% offensive tweets and the Würzburg corpus's 8% alike);
* when some sources carry only negatives (spam: every toxicity dataset is ham), their false positives
  appear in no per-source F1, so the cut maximises one **source-balanced F1** over the pooled confusion
  counts, each source weighing 1 in total: ham-only sources then hold the threshold up.

In both, a source with under 1% of the examples (a few fresh moderator labels, say) counts in proportion to
its size, so a handful of labels cannot move a threshold that tens of thousands of comments chose. Cuts
within :data:`TOLERANCE` of the best F1 count as equally good, and the highest of them (the fewest comments
held) is taken (for the mean of sources' F1 and for the toxicity family's joint cuts; the pooled rule, which
chooses spam's hold threshold, takes its exact best).

The spam threshold is the lowest score whose source-balanced precision reaches the target (clearly spam).
An attribute whose validation labels are not of both classes gets ``MAX_THRESHOLD``: no data chose a cut.

**One hold decision for the toxicity family.** A comment is held when *any* of toxicity's six scores reaches
its hold threshold, so the sub-attributes' cuts (insult, identity attack, …), each best for its own label
alone, would add up: every one adds the holds of its own false positives. After toxicity's cut is chosen,
each sub-attribute's cut is raised (never lowered) to the one that makes the *whole* decision best against
the toxicity label, by the same rule as above (see :func:`joint_hold_thresholds`): a sub-attribute then holds
a comment only where it finds toxic comments that the toxicity score missed, more than it holds harmless ones,
by more than :data:`TOLERANCE`. One that adds nothing of the kind never holds on its own (``MAX_THRESHOLD``);
its score is still shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from moderation_service.model.attributes import TOXICITY_FAMILY

MIN_THRESHOLD, MAX_THRESHOLD = 0.05, 0.99
#: Sources smaller than this share of an attribute's validation examples do not choose the hold rule, and
#: count in proportion to their size rather than as much as any other source.
SMALL_SOURCE_SHARE = 0.01
#: Cuts whose F1 (the mean of the sources', where that is the rule) lies within this of the best count as
#: equally good, and the highest of them, which holds the fewest comments, is taken. On a validation split
#: of ~10,000 comments F1 moves by more than this between two trainings that differ by a few features, so
#: the exact maximum is noise: chosen by it, the toxicity family's cuts swung from one training to the next
#: (insult 0.43 or 0.25, toxicity 0.35 or 0.33), and with them the share of ordinary comments held (GermEval
#: 2021's 22 % or 28 %).
TOLERANCE = 0.001


def _source_totals(counts: np.ndarray) -> np.ndarray:
    """How much each source counts in all: 1, or less for a source under ``SMALL_SOURCE_SHARE`` of the rows.

    Without the discount three fresh moderator labels would weigh as much as 6,000 Jigsaw comments.
    """
    return np.minimum(1.0, counts / (SMALL_SOURCE_SHARE * counts.sum()))


def source_weights(sources: np.ndarray) -> np.ndarray:
    """Row weights that give every source the same total (a small source less, see :func:`_source_totals`)."""
    names, inverse, counts = np.unique(sources, return_inverse=True, return_counts=True)
    return (_source_totals(counts) / counts)[inverse]


def cut_counts(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descending distinct scores with the weighted true and false positives of ``score >= cut``."""
    order = np.argsort(-scores, kind="stable")
    scores, y, weights = scores[order], y[order], weights[order]
    tp = np.cumsum(weights * (y == 1))
    fp = np.cumsum(weights * (y == 0))
    last_of_value = np.r_[scores[1:] != scores[:-1], True]
    return scores[last_of_value], tp[last_of_value], fp[last_of_value]


def _clip(cut: float) -> float:
    return float(np.clip(cut, MIN_THRESHOLD, MAX_THRESHOLD))


def best_f1_threshold(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> float:
    cuts, tp, fp = cut_counts(y, scores, weights)
    positives = tp[-1]
    f1 = 2 * tp / (positives + tp + fp)
    return _clip(cuts[int(np.argmax(f1))])


def mean_source_f1_threshold(y: np.ndarray, scores: np.ndarray, sources: np.ndarray) -> float:
    """The highest cut whose mean over sources of each source's own F1 is within :data:`TOLERANCE` of the best
    (all cuts of all sources tried)."""
    cuts = np.unique(scores)[::-1]
    total = np.zeros(len(cuts))
    names, sizes = np.unique(sources, return_counts=True)
    shares = _source_totals(sizes)
    for name, share in zip(names, shares):
        mine = sources == name
        counts = sweep(y[mine], scores[mine], cuts)
        total += share * 2 * counts.true_positives / np.maximum(
            counts.positives + counts.true_positives + counts.false_positives, 1)
    near_best = np.flatnonzero(total >= total.max() - TOLERANCE * shares.sum())
    return _clip(cuts[near_best[0]])  # cuts descend: the first is the highest


def precision_threshold(y: np.ndarray, scores: np.ndarray, weights: np.ndarray, target: float) -> float:
    """The lowest cut at which the weighted precision of ``score >= cut`` is at least ``target``."""
    cuts, tp, fp = cut_counts(y, scores, weights)
    reaching = np.flatnonzero(tp / np.maximum(tp + fp, 1e-12) >= target)
    if not len(reaching):
        return MAX_THRESHOLD
    return _clip(cuts[reaching[-1]])


def hold_rate_threshold(scores: np.ndarray, target: float) -> float:
    """The lowest cut at which at most ``target`` of the comments score ``>= cut`` (are held)."""
    cuts = np.unique(scores)[::-1]
    held = len(scores) - np.searchsorted(np.sort(scores), cuts, side="left")
    within = np.flatnonzero(held / max(len(scores), 1) <= target)
    if not len(within):
        return MAX_THRESHOLD
    return _clip(cuts[within[-1]])


@dataclass(frozen=True)
class Sweep:
    """Counts of ``score >= threshold`` at each threshold (each comment counts once)."""

    thresholds: np.ndarray
    true_positives: np.ndarray
    false_positives: np.ndarray
    positives: int
    examples: int

    @property
    def misses(self) -> np.ndarray:
        return self.positives - self.true_positives

    @property
    def hold_rate(self) -> np.ndarray:
        return (self.true_positives + self.false_positives) / max(self.examples, 1)

    @property
    def precision(self) -> np.ndarray:
        flagged = self.true_positives + self.false_positives
        return np.where(flagged > 0, self.true_positives / np.maximum(flagged, 1), 1.0)

    @property
    def recall(self) -> np.ndarray:
        return self.true_positives / max(self.positives, 1)

    @property
    def error_rate(self) -> np.ndarray:
        """Wrongly held plus missed comments, as a share of all comments."""
        return (self.false_positives + self.misses) / max(self.examples, 1)


def sweep(y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray | None = None) -> Sweep:
    """:class:`Sweep` at ``thresholds`` (default: every distinct score)."""
    y = np.asarray(y).astype(int)
    cuts = np.unique(scores)[::-1] if thresholds is None else np.asarray(thresholds, dtype=float)
    ranked_pos, ranked_neg = np.sort(scores[y == 1]), np.sort(scores[y == 0])
    tp = len(ranked_pos) - np.searchsorted(ranked_pos, cuts, side="left")
    fp = len(ranked_neg) - np.searchsorted(ranked_neg, cuts, side="left")
    return Sweep(cuts, tp, fp, int(len(ranked_pos)), int(len(y)))


def hold_threshold(y: np.ndarray, scores: np.ndarray, sources: np.ndarray) -> float:
    """``hold`` by the rule in the module docstring.

    Which of the two ways is decided by the sources with at least ``SMALL_SOURCE_SHARE`` of the examples: a
    handful of fresh moderator labels with one class only must not switch the rule for the whole model.
    """
    if by_mean_of_sources(y, sources):
        return mean_source_f1_threshold(y, scores, sources)
    return best_f1_threshold(y, scores, source_weights(sources))


def by_mean_of_sources(y: np.ndarray, sources: np.ndarray) -> bool:
    """Which of the rule's two ways applies: the mean of the sources' own F1 when every source with at least
    ``SMALL_SOURCE_SHARE`` of the examples has both classes, else one pooled source-balanced F1."""
    names, counts = np.unique(sources, return_counts=True)
    deciding = names[counts >= SMALL_SOURCE_SHARE * len(sources)]
    return all(len(np.unique(y[sources == name])) == 2 for name in deciding)


def held_by_family(P: np.ndarray, attributes: Sequence[str], thresholds: Mapping[str, Mapping[str, float]]
                   ) -> np.ndarray:
    """The rows that toxicity's hold decision holds: any of the family's scores (columns of ``P`` in the order
    of ``attributes``) at or above its hold threshold."""
    family = [a for a in TOXICITY_FAMILY if a in attributes]
    cuts = np.array([thresholds[a]["hold"] for a in family])
    return np.asarray((P[:, [attributes.index(a) for a in family]] >= cuts).any(axis=1))


@dataclass(frozen=True)
class _Sources:
    """Which source each row is from (``inverse`` into the names), and how much each source counts."""

    inverse: np.ndarray
    sizes: np.ndarray
    shares: np.ndarray

    @classmethod
    def of(cls, sources: np.ndarray) -> _Sources:
        _, inverse, sizes = np.unique(sources, return_inverse=True, return_counts=True)
        return cls(inverse, sizes, _source_totals(sizes))

    def count(self, rows: np.ndarray) -> np.ndarray:
        return np.bincount(self.inverse, weights=rows, minlength=len(self.sizes))


def _decision_quality(y: np.ndarray, held: np.ndarray, sources: _Sources, mean_of_sources: bool) -> float:
    """How good holding ``held`` is against labels ``y``: the rule of :func:`hold_threshold` for one decision
    (the mean of the sources' F1, or one source-balanced F1; as a sum, for comparing decisions)."""
    tp, fp, positives = sources.count(held & (y == 1)), sources.count(held & (y == 0)), sources.count(y == 1)
    if mean_of_sources:
        return float(np.sum(sources.shares * 2 * tp / np.maximum(positives + tp + fp, 1)))
    weight = sources.shares / sources.sizes
    tp, fp, positives = (weight * tp).sum(), (weight * fp).sum(), (weight * positives).sum()
    return float(2 * tp / max(positives + tp + fp, 1e-12))


def joint_hold_thresholds(
    Y: np.ndarray, P: np.ndarray, sources: np.ndarray, attributes: Sequence[str],
    thresholds: Mapping[str, Mapping[str, float]], umbrella: str = "toxicity", rounds: int = 2, candidates: int = 200,
) -> dict[str, float]:
    """Hold cuts for the attributes that join ``umbrella`` in one hold decision, chosen for that decision.

    Every other attribute listed in ``thresholds`` (not spam) takes, in turn, the cut at or above its own
    that makes "any of them reaches its cut" best against the ``umbrella`` label (rows where it is known),
    the highest cut within :data:`TOLERANCE` of the best (a narrower score holds on its own only where that
    makes the decision measurably better); ``rounds`` passes, as each choice moves the others'. Returns the
    new cuts.
    """
    u = attributes.index(umbrella)
    known = ~np.isnan(Y[:, u])
    y, src = Y[known, u].astype(int), sources[known]
    family = [a for a in TOXICITY_FAMILY if a in attributes and a in thresholds]
    columns = {a: P[known, attributes.index(a)] for a in family}
    cuts = {a: float(thresholds[a]["hold"]) for a in family}
    mean_of_sources = by_mean_of_sources(y, src)
    by_source = _Sources.of(src)
    slack = TOLERANCE * (by_source.shares.sum() if mean_of_sources else 1.0)  # quality sums the sources' F1
    for _ in range(rounds):
        for attribute in family:
            if attribute == umbrella or cuts[attribute] >= MAX_THRESHOLD:
                continue
            scores = columns[attribute]
            others = np.zeros(len(y), dtype=bool)
            for other in family:
                if other != attribute:
                    others |= columns[other] >= cuts[other]
            above = np.unique(scores[scores >= cuts[attribute]])
            if len(above) > candidates:
                above = np.unique(np.quantile(above, np.linspace(0, 1, candidates), method="nearest"))
            trials = np.r_[cuts[attribute], above[above > cuts[attribute]], MAX_THRESHOLD]
            quality = np.array([_decision_quality(y, others | (scores >= cut), by_source, mean_of_sources)
                                for cut in trials])
            near_best = np.flatnonzero(quality >= quality.max() - slack)
            cuts[attribute] = float(trials[near_best[-1]])  # trials ascend: the last is the highest
    return {a: round(cut, 4) for a, cut in cuts.items() if a != umbrella}


def choose_thresholds(
    Y: np.ndarray, P: np.ndarray, sources: np.ndarray, attributes: Sequence[str], spam_precision: float
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The thresholds of every attribute, and the attributes whose validation labels were not of both classes
    (nothing to choose from: they get the most cautious cut)."""
    thresholds: dict[str, dict[str, float]] = {}
    not_chosen: list[str] = []
    for j, attribute in enumerate(attributes):
        known = ~np.isnan(Y[:, j])
        y, p, src = Y[known, j], P[known, j], sources[known]
        if len(np.unique(y)) < 2:
            thresholds[attribute] = {"hold": MAX_THRESHOLD, **({"spam": MAX_THRESHOLD} if attribute == "spam" else {})}
            not_chosen.append(attribute)
            continue
        hold = round(hold_threshold(y, p, src), 4)
        thresholds[attribute] = {"hold": hold}
        if attribute == "spam":
            spam = precision_threshold(y, p, source_weights(src), spam_precision)
            thresholds[attribute]["spam"] = round(max(spam, hold), 4)
    if "toxicity" in thresholds and "toxicity" not in not_chosen:
        for attribute, hold in joint_hold_thresholds(Y, P, sources, attributes, thresholds).items():
            thresholds[attribute]["hold"] = hold
    return thresholds, not_chosen
