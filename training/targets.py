"""The issue's quality targets, measured on data the model under test never saw.

* Spam: for each YouTube video of the UCI collection, train on everything except that video (and except the
  2014 crawl of the same video), then score the video: ROC-AUC, and precision/recall/F1 at the model's own
  thresholds (``hold``: not published; ``spam``: marked spam).
* German offensive language: hold out one of ``folds`` parts of GermEval 2018, train on the rest and on
  everything else, then compute the coarse task's macro-F1 at the model's ``toxicity`` hold threshold.

Thresholds always come from the trained model's own validation split, never from the part under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from moderation_service.model.scorer import LinearScorer

from .datasets import Dataset, LabelledExample
from .thresholds import cut_counts
from .train import load_data, train

Report = Callable[[str], None]


def _without(datasets: Sequence[Dataset], drop: Callable[[LabelledExample], bool]) -> list[Dataset]:
    return [replace(d, examples=[e for e in d.examples if not drop(e)]) for d in datasets]


def _score(trained: Any, examples: Sequence[LabelledExample], attribute: str) -> tuple[np.ndarray, np.ndarray]:
    scorer = LinearScorer(trained.pipeline)
    column = scorer.attributes.index(attribute)
    scores = np.array([scorer.probabilities(e.content)[column] for e in examples])
    labels = np.array([e.labels[attribute] for e in examples])
    return labels, scores


def _at(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = scores >= threshold
    return {
        "threshold": threshold,
        "precision": round(float(precision_score(labels, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(labels, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(labels, predicted, zero_division=0)), 4),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro", zero_division=0)), 4),
    }


def _best_f1(labels: np.ndarray, scores: np.ndarray) -> float:
    _, true_positives, false_positives = cut_counts(labels, scores, np.ones(len(labels)))
    return round(float(np.max(2 * true_positives / (labels.sum() + true_positives + false_positives))), 4)


def youtube_leave_one_out(datasets: Sequence[Dataset], report: Report) -> list[dict[str, Any]]:
    youtube = next((d for d in datasets if d.name == "youtube-spam"), None)
    if youtube is None:
        raise ValueError("the spam target needs the youtube-spam dataset among --data")
    results = []
    for video in sorted({e.subset for e in youtube.examples}):
        report(f"spam target: holding out YouTube video {video}")
        held_out = [e for e in youtube.examples if e.subset == video]
        training = _without(datasets, lambda e, v=video: e.subset in (v, f"2014-{v}")
                            and e.source.startswith("youtube"))
        trained = train(training, report=lambda m: report(f"  {m}"))
        labels, scores = _score(trained, held_out, "spam")
        thresholds = trained.thresholds["spam"]
        results.append(
            {
                "video": video,
                "examples": len(labels),
                "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
                "at_hold": _at(labels, scores, thresholds["hold"]),
                "at_spam": _at(labels, scores, thresholds["spam"]),
                # Chosen on the video under test, which no deployment can do: how far the ranking would carry.
                "best_f1_on_the_video": _best_f1(labels, scores),
            }
        )
        report(f"  {video}: ROC-AUC {results[-1]['roc_auc']}, F1 at hold {results[-1]['at_hold']['f1']}")
    return results


def _fold(text: str, folds: int) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") % folds


def germeval_held_out(datasets: Sequence[Dataset], folds: int, report: Report) -> list[dict[str, Any]]:
    germeval = next((d for d in datasets if d.name == "germeval2018"), None)
    if germeval is None:
        raise ValueError("the German target needs the germeval2018 dataset among --data")
    results = []
    for fold in range(folds):
        report(f"German target: holding out GermEval 2018 part {fold + 1} of {folds}")
        held_out = [e for e in germeval.examples if _fold(e.content, folds) == fold]
        training = _without(datasets, lambda e, f=fold: e.source == "germeval2018" and _fold(e.content, folds) == f)
        trained = train(training, report=lambda m: report(f"  {m}"))
        labels, scores = _score(trained, held_out, "toxicity")
        results.append(
            {
                "fold": fold,
                "examples": len(labels),
                "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
                "at_hold": _at(labels, scores, trained.thresholds["toxicity"]["hold"]),
            }
        )
        report(f"  part {fold + 1}: macro-F1 {results[-1]['at_hold']['macro_f1']}")
    return results


def run(paths: Sequence[str | Path], folds: int, report: Report, only: str | None = None) -> dict[str, Any]:
    datasets = load_data(paths, report)
    results: dict[str, Any] = {}
    if only in (None, "spam"):
        results["spam_youtube_leave_one_video_out"] = youtube_leave_one_out(datasets, report)
    if only in (None, "german"):
        results["germeval2018_held_out"] = germeval_held_out(datasets, folds, report)
    return results


def format_results(results: dict[str, Any]) -> str:
    lines = []
    spam = results.get("spam_youtube_leave_one_video_out")
    if spam:
        lines.append("Spam, leave one YouTube video out (target: ROC-AUC >= 0.99, F1 >= 0.96)")
        lines.append(f"{'video':<12}{'n':>6}{'ROC-AUC':>9}{'F1@hold':>9}{'P@hold':>8}{'R@hold':>8}{'F1@spam':>9}"
                     f"{'bestF1':>8}")
        for r in spam:
            lines.append(
                f"{r['video']:<12}{r['examples']:>6}{r['roc_auc']:>9.4f}{r['at_hold']['f1']:>9.4f}"
                f"{r['at_hold']['precision']:>8.4f}{r['at_hold']['recall']:>8.4f}{r['at_spam']['f1']:>9.4f}"
                f"{r['best_f1_on_the_video']:>8.4f}"
            )
        lines.append(
            f"{'mean':<12}{'':>6}{np.mean([r['roc_auc'] for r in spam]):>9.4f}"
            f"{np.mean([r['at_hold']['f1'] for r in spam]):>9.4f}{'':>16}"
            f"{np.mean([r['at_spam']['f1'] for r in spam]):>9.4f}"
            f"{np.mean([r['best_f1_on_the_video'] for r in spam]):>8.4f}"
        )
        lines.append("bestF1: F1 at the best threshold of each video, chosen on the video itself (no deployment can;"
                     " it shows how far the ranking carries)")
    german = results.get("germeval2018_held_out")
    if german:
        lines.append("")
        lines.append("GermEval 2018 coarse, held-out parts of the training set (target: macro-F1 >= 0.74)")
        lines.append(f"{'part':<12}{'n':>6}{'ROC-AUC':>9}{'macroF1':>9}{'thresh':>8}")
        for r in german:
            lines.append(
                f"{r['fold'] + 1:<12}{r['examples']:>6}{r['roc_auc']:>9.4f}{r['at_hold']['macro_f1']:>9.4f}"
                f"{r['at_hold']['threshold']:>8.3f}"
            )
        lines.append(f"{'mean':<12}{'':>6}{np.mean([r['roc_auc'] for r in german]):>9.4f}"
                     f"{np.mean([r['at_hold']['macro_f1'] for r in german]):>9.4f}")
    return "\n".join(lines)
