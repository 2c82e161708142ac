"""PNG plots of the retraining report, candidate against the live model, one figure per evaluation set:

* ``precision_recall_<set>.png``: the precision-recall curve of every score, each model's hold threshold
  marked;
* ``threshold_sweep_<set>.png``: for every threshold, the share of comments held for review by that score
  (moderators' workload) against the share it gets wrong (wrongly held plus missed). A curve lower at the
  same hold rate is the better model; the dots are where each model's own threshold puts it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from moderation_service.model.attributes import ATTRIBUTES  # noqa: E402

from .comparison import EvaluationSet, Scored  # noqa: E402
from .thresholds import sweep  # noqa: E402

COLOURS = {"candidate": "tab:blue", "live": "tab:orange"}
Panel = Callable[[Axes, np.ndarray, np.ndarray, float, str], None]


def _precision_recall(axes: Axes, y: np.ndarray, p: np.ndarray, threshold: float, model: str) -> None:
    precision, recall, _ = precision_recall_curve(y, p)
    axes.plot(recall, precision, color=COLOURS[model], label=model)
    at = sweep(y, p, np.array([threshold]))
    axes.plot(at.recall, at.precision, "o", color=COLOURS[model])
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))


def _threshold_sweep(axes: Axes, y: np.ndarray, p: np.ndarray, threshold: float, model: str) -> None:
    counts = sweep(y, p, np.linspace(0, 1, 201))
    axes.plot(counts.hold_rate, counts.error_rate, color=COLOURS[model], label=model)
    at = sweep(y, p, np.array([threshold]))
    axes.plot(at.hold_rate, at.error_rate, "o", color=COLOURS[model])
    axes.set(xlabel="hold rate (share held)", ylabel="errors (wrongly held + missed)", xlim=(0, 1), ylim=(0, None))


def _figure(evaluation: EvaluationSet, models: dict[str, Scored], panel: Panel, title: str, path: Path) -> Path:
    columns = [j for j in range(len(ATTRIBUTES)) if len(np.unique(evaluation.corpus.Y[:, j][
        ~np.isnan(evaluation.corpus.Y[:, j])])) == 2]
    rows = max(1, math.ceil(len(columns) / 3))
    figure, grid = plt.subplots(rows, 3, figsize=(13, 3.8 * rows), squeeze=False)
    for axes, j in zip(grid.flat, columns):
        known = ~np.isnan(evaluation.corpus.Y[:, j])
        y = evaluation.corpus.Y[known, j].astype(int)
        for model, scored in models.items():
            panel(axes, y, scored.scores[known, j], scored.thresholds[ATTRIBUTES[j]]["hold"], model)
        axes.set_title(f"{ATTRIBUTES[j]} ({int(y.sum())} of {len(y)} positive)", fontsize=10)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    for axes in list(grid.flat)[len(columns):]:
        axes.axis("off")
    if not columns:
        grid.flat[0].text(0.5, 0.5, "no score with both classes in this set", ha="center")
    figure.suptitle(f"{title}: {evaluation.name} ({len(evaluation.corpus):,} comments; dots: hold thresholds)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def write(directory: Path, evaluation: EvaluationSet, candidate: Scored, current: Scored | None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    models = {"candidate": candidate, **({"live": current} if current is not None else {})}
    return [
        _figure(evaluation, models, _precision_recall, "Precision-recall",
                directory / f"precision_recall_{evaluation.name}.png"),
        _figure(evaluation, models, _threshold_sweep, "Hold rate against errors",
                directory / f"threshold_sweep_{evaluation.name}.png"),
    ]
