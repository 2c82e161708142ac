"""Threshold choice on constructed scores where the right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from training.thresholds import (
    MAX_THRESHOLD,
    TOLERANCE,
    best_f1_threshold,
    by_mean_of_sources,
    choose_thresholds,
    hold_threshold,
    joint_hold_thresholds,
    mean_source_f1_threshold,
    precision_threshold,
    source_weights,
)


def test_separable_scores_cut_at_the_lowest_positive() -> None:
    y = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.9])
    assert best_f1_threshold(y, scores, np.ones(5)) == 0.6


def test_best_f1_trades_one_false_positive_for_two_true_positives() -> None:
    y = np.array([0, 1, 0, 1, 1, 0])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.45])
    # cut 0.4: tp 2, fp 1 -> F1 0.667; cut 0.2: tp 3, fp 2 -> 0.75; cut 0.5: tp 1 -> 0.5
    assert best_f1_threshold(y, scores, np.ones(6)) == 0.2


def test_weights_decide_between_sources() -> None:
    y = np.array([1, 0, 0, 0, 1])
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.4])
    # Unweighted, cutting at 0.4 costs three false positives for one true positive: 0.9 wins.
    assert best_f1_threshold(y, scores, np.ones(5)) == 0.9
    # If the three negatives together weigh as much as one example, 0.4 wins (F1 0.8 vs 0.667).
    assert best_f1_threshold(y, scores, np.array([1, 1 / 3, 1 / 3, 1 / 3, 1])) == 0.4


def test_thresholds_stay_within_bounds() -> None:
    y = np.array([1, 1, 0])
    assert best_f1_threshold(y, np.array([0.01, 0.02, 0.0]), np.ones(3)) == 0.05
    assert precision_threshold(np.array([0, 1]), np.array([0.9, 0.1]), np.ones(2), 0.99) == MAX_THRESHOLD


def test_precision_threshold_is_the_lowest_cut_reaching_the_target() -> None:
    y = np.array([1, 1, 1, 0, 1, 0, 0])
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.1])
    # precision at 0.8: 3/3; at 0.7: 3/4; at 0.6: 4/5 = 0.8
    assert precision_threshold(y, scores, np.ones(7), 1.0) == 0.8
    assert precision_threshold(y, scores, np.ones(7), 0.8) == 0.6


def test_source_weights_give_every_source_the_same_total() -> None:
    sources = np.array(["a", "a", "a", "b"])
    weights = source_weights(sources)
    assert weights[:3].sum() == pytest.approx(1.0) and weights[3] == 1.0


def test_choose_thresholds_per_attribute() -> None:
    nan = np.nan
    Y = np.array([[0, 0], [1, nan], [0, 1], [1, 0], [0, nan], [1, 1]], dtype=float)
    P = np.array([[0.1, 0.9], [0.8, 0.0], [0.2, 0.7], [0.9, 0.2], [0.3, 0.99], [0.7, 0.6]])
    sources = np.array(["s"] * 6)
    thresholds, not_chosen = choose_thresholds(Y, P, sources, ("spam", "toxicity"), spam_precision=0.99)
    assert thresholds == {"spam": {"hold": 0.7, "spam": 0.7}, "toxicity": {"hold": 0.6}}
    assert not_chosen == []


def test_without_both_classes_the_threshold_is_the_most_cautious() -> None:
    Y = np.array([[0.0, 1.0], [0.0, 0.0]])
    thresholds, not_chosen = choose_thresholds(Y, np.array([[0.1, 0.9], [0.2, 0.1]]), np.array(["s", "s"]),
                                               ("spam", "toxicity"), 0.99)
    assert not_chosen == ["spam"]
    assert thresholds["spam"] == {"hold": MAX_THRESHOLD, "spam": MAX_THRESHOLD}
    assert thresholds["toxicity"]["hold"] < MAX_THRESHOLD


def brute_force_mean_f1(y: np.ndarray, scores: np.ndarray, sources: np.ndarray, cut: float) -> float:
    values = []
    for name in np.unique(sources):
        mine = sources == name
        predicted, truth = scores[mine] >= cut, y[mine] == 1
        tp = (predicted & truth).sum()
        values.append(2 * tp / max(truth.sum() + predicted.sum(), 1))
    return float(np.mean(values))


def test_mean_source_f1_threshold_is_the_highest_cut_as_good_as_the_best() -> None:
    rng = np.random.default_rng(3)
    sources = np.array(["big"] * 300 + ["small"] * 40)
    y = np.r_[rng.random(300) < 0.8, rng.random(40) < 0.1].astype(float)
    scores = np.clip(0.35 * y + rng.random(340) * 0.7, 0.06, 0.98)
    chosen = mean_source_f1_threshold(y, scores, sources)
    quality = {cut: brute_force_mean_f1(y, scores, sources, cut) for cut in np.unique(scores)}
    best = max(quality.values())
    assert quality[chosen] >= best - TOLERANCE
    assert all(f1 < best - TOLERANCE for cut, f1 in quality.items() if cut > chosen)  # none higher is as good


def test_a_cut_that_is_better_only_by_noise_does_not_win() -> None:
    # Two cuts: 0.5 is best by a hair (F1 0.9995 of the best), 0.8 holds fewer: the higher one is taken.
    sources = np.array(["a"] * 4000)
    y = np.r_[np.ones(2000), np.zeros(2000)]
    scores = np.r_[np.full(1999, 0.9), [0.6], np.full(1999, 0.1), [0.55]]  # one more positive above 0.5, one FP
    assert mean_source_f1_threshold(y, scores, sources) == pytest.approx(0.9)


def test_each_source_f1_counts_once_whatever_its_size() -> None:
    # "big" is best cut at 0.5 and "small" at 0.3; the small source's F1 counts as much as the big one's.
    sources = np.array(["big"] * 6 + ["small"] * 3)
    y = np.array([1, 1, 0, 0, 0, 0, 1, 0, 0], dtype=float)
    scores = np.array([0.9, 0.5, 0.4, 0.35, 0.2, 0.1, 0.3, 0.2, 0.1])
    # cut 0.5: big F1 1.0, small 0.0 -> 0.5; cut 0.3: big 2*2/(2+4)=0.667, small 1.0 -> 0.833
    assert mean_source_f1_threshold(y, scores, sources) == 0.3
    assert hold_threshold(y, scores, sources) == 0.3


def test_hold_pools_when_a_source_has_only_negatives() -> None:
    sources = np.array(["spam"] * 4 + ["ham"] * 4)
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0], dtype=float)
    scores = np.array([0.9, 0.6, 0.5, 0.1, 0.7, 0.65, 0.2, 0.1])
    # Per-source F1 would ignore the ham source's false positives and cut at 0.6.
    assert mean_source_f1_threshold(y[:4], scores[:4], sources[:4]) == 0.6
    # Pooled and source-balanced: cutting at 0.6 also flags half of "ham"; 0.9 is better.
    assert hold_threshold(y, scores, sources) == 0.9


def test_a_few_single_class_labels_do_not_switch_the_rule() -> None:
    # Two large mixed sources choose by mean per-source F1; nine fresh "moderator" labels, all negative and
    # under 1% of the examples, leave that choice alone (before, they switched it to pooled F1).
    rng = np.random.default_rng(3)
    y = np.r_[rng.integers(0, 2, 600), rng.integers(0, 2, 600)].astype(float)
    scores = np.clip(0.35 * y + rng.uniform(0, 0.65, 1200), 0, 1)
    sources = np.array(["a"] * 600 + ["b"] * 600)
    alone = hold_threshold(y, scores, sources)
    assert alone == mean_source_f1_threshold(y, scores, sources)
    labels_y, labels_sources = np.r_[y, np.zeros(9)], np.r_[sources, ["moderator"] * 9]
    with_labels = hold_threshold(labels_y, np.r_[scores, rng.uniform(0.3, 0.6, 9)], labels_sources)
    assert by_mean_of_sources(labels_y, labels_sources)
    assert with_labels == pytest.approx(alone, abs=0.005)


def test_a_tiny_source_counts_by_its_size_not_as_a_whole_source() -> None:
    # A pooled rule (a ham-only source is present); three all-positive labels with low scores would pull a
    # source-balanced threshold down to them if they weighed as much as a whole dataset.
    rng = np.random.default_rng(5)
    y = np.r_[rng.integers(0, 2, 1000), np.zeros(1000)].astype(float)
    scores = np.clip(0.4 * y + rng.uniform(0, 0.6, 2000), 0, 1)
    sources = np.array(["mixed"] * 1000 + ["ham"] * 1000)
    alone = hold_threshold(y, scores, sources)
    with_labels = hold_threshold(np.r_[y, np.ones(3)], np.r_[scores, [0.06, 0.07, 0.08]],
                                 np.r_[sources, ["moderator"] * 3])
    assert abs(with_labels - alone) < 0.05
    weights = source_weights(np.r_[sources, ["moderator"] * 3])
    assert weights[-3:].sum() < 0.2 * weights[:1000].sum()


FAMILY = ("spam", "toxicity", "insult", "threat")


def family_data(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two sources with toxicity labels. The insult score also fires on harmless comments that toxicity
    rightly lets pass; the threat score catches toxic comments that toxicity scores too low."""
    rng = np.random.default_rng(seed)
    n = 1000
    toxic = rng.random(n) < 0.3
    missed = toxic & (rng.random(n) < 0.25)  # toxic, but the toxicity score misses them
    toxicity = np.where(toxic & ~missed, rng.uniform(0.5, 1, n), rng.uniform(0, 0.45, n))
    insulting = toxic & ~missed & (rng.random(n) < 0.6)
    harmless_insult = ~toxic & (rng.random(n) < 0.15)
    insult = np.where(insulting, rng.uniform(0.6, 1, n), np.where(harmless_insult, rng.uniform(0.4, 0.9, n),
                                                                   rng.uniform(0, 0.3, n)))
    threat = np.where(missed, rng.uniform(0.6, 1, n), rng.uniform(0, 0.4, n))
    Y = np.column_stack([np.full(n, np.nan), toxic, insulting | (harmless_insult & (rng.random(n) < 0.5)),
                         missed]).astype(float)
    P = np.column_stack([np.zeros(n), toxicity, insult, threat])
    return Y, P, np.array(["a", "b"] * (n // 2))


def test_sub_attribute_cuts_are_chosen_for_the_whole_hold_decision() -> None:
    Y, P, sources = family_data()
    alone = {a: hold_threshold(Y[:, j], P[:, j], sources) for j, a in enumerate(FAMILY) if j}
    thresholds, _ = choose_thresholds(Y, P, sources, FAMILY, 0.99)
    assert thresholds["toxicity"]["hold"] == round(alone["toxicity"], 4)
    # insult's own cut holds harmless comments that toxicity passed: it rises above them (they score < 0.9)
    assert thresholds["insult"]["hold"] > 0.9 > alone["insult"]
    # threat finds toxic comments that toxicity misses: it keeps its own cut
    assert thresholds["threat"]["hold"] == round(alone["threat"], 4)

    def decision_f1(cuts: dict[str, float]) -> float:
        held = np.column_stack([P[:, j] >= cuts[a] for j, a in enumerate(FAMILY) if j]).any(axis=1)
        return brute_force_mean_f1(Y[:, 1], held.astype(float), sources, 0.5)

    chosen = {a: thresholds[a]["hold"] for a in FAMILY[1:]}
    assert decision_f1(chosen) > decision_f1(alone) + 0.02


def test_sub_attribute_cuts_are_never_lowered() -> None:
    Y, P, sources = family_data(seed=11)
    cuts = {"toxicity": {"hold": 0.5}, "insult": {"hold": 0.95}, "threat": {"hold": 0.99}}
    joint = joint_hold_thresholds(Y, P, sources, FAMILY, cuts)
    assert joint["insult"] >= 0.95 and joint["threat"] == 0.99
    assert set(joint) == {"insult", "threat"}


def test_without_toxicity_labels_sub_attribute_cuts_stay_their_own() -> None:
    Y, P, sources = family_data()
    Y[:, 1] = np.nan  # e.g. a JSONL of insult labels only: no toxicity head to join
    thresholds, not_chosen = choose_thresholds(Y, P, sources, FAMILY, 0.99)
    assert "toxicity" in not_chosen
    assert thresholds["insult"]["hold"] == round(hold_threshold(Y[:, 2], P[:, 2], sources), 4)
