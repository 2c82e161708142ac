"""Train a model artifact: load data, split, fit, choose thresholds, evaluate, write ``<dir>``."""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from moderation_service.model import artifact
from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.model.text import normalize, with_options

from .datasets import JSONL_SUFFIXES, Dataset, DatasetError, load_path
from .evaluate import evaluate, format_table
from .pipeline import build_pipeline
from .split import group_key, in_validation
from .thresholds import TOLERANCE, choose_thresholds

VALIDATION_SEED = "validation-v1"
Report = Callable[[str], None]


@dataclass
class Corpus:
    """All training texts as parallel arrays; ``Y`` holds NaN where a label is unknown."""

    normalized: list[str]
    Y: np.ndarray
    sources: np.ndarray
    subsets: np.ndarray
    weights: np.ndarray
    #: The dataset each text came from (a JSONL file's examples name their own sources), for the manifest.
    datasets: np.ndarray

    def subset(self, mask: np.ndarray) -> Corpus:
        return Corpus(
            [t for t, keep in zip(self.normalized, mask) if keep],
            self.Y[mask],
            self.sources[mask],
            self.subsets[mask],
            self.weights[mask],
            self.datasets[mask],
        )

    def __len__(self) -> int:
        return len(self.normalized)


def build_corpus(datasets: Sequence[Dataset]) -> Corpus:
    """Normalise every text and drop exact repeats within a source (the first one's labels win)."""
    normalized, rows, sources, subsets, weights, names = [], [], [], [], [], []
    seen: set[tuple[str, str]] = set()
    for dataset in datasets:
        for example in dataset.examples:
            text = normalize(example.content)
            key = (example.source, group_key(text))
            if not text or key in seen:
                continue
            seen.add(key)
            normalized.append(text)
            rows.append([example.labels.get(a, np.nan) for a in ATTRIBUTES])
            sources.append(example.source)
            subsets.append(example.subset)
            weights.append(example.weight)
            names.append(dataset.name)
    return Corpus(
        normalized,
        np.array(rows, dtype=float).reshape(-1, len(ATTRIBUTES)),
        np.array(sources, dtype=object),
        np.array(subsets, dtype=object),
        np.array(weights, dtype=float),
        np.array(names, dtype=object),
    )


def model_texts(pipeline: Pipeline, normalized: Sequence[str]) -> list[str]:
    """Normal forms (a corpus's) as the model reads them: with the options of its normalise step. The corpus
    keeps the plain normal form, which names a text for de-duplication and the validation split."""
    options = pipeline.named_steps["normalize"].kw_args or {}
    return [with_options(text, **options) for text in normalized] if options else list(normalized)


def fit_pipeline(train: Corpus, params: dict[str, Any], report: Report) -> Pipeline:
    pipeline = build_pipeline(**params)
    pipeline.named_steps["normalize"].fit(train.normalized[:1])
    features = pipeline.named_steps["features"]
    texts = model_texts(pipeline, train.normalized)
    blocks = []
    for name, vectorizer in features.transformer_list:
        if vectorizer == "drop":
            continue
        report(f"fitting {name} features on {len(train):,} texts")
        blocks.append(vectorizer.fit(texts).transform(texts))
        report(f"  {vectorizer.n_features_out_:,} {name} features")
    X = sp.hstack(blocks, format="csr")
    del blocks
    heads = pipeline.named_steps["heads"]
    report(f"fitting {len(ATTRIBUTES)} heads ({', '.join(ATTRIBUTES)})")
    heads.fit(X, train.Y, sample_weight=train.weights, sources=train.sources,
              progress=lambda message: report(f"  {message}"))
    return pipeline


def score_texts(pipeline: Pipeline, normalized: Sequence[str]) -> np.ndarray:
    """Scores of already normalised texts through the batch feature path.

    The batch path equals the service's per-comment :class:`LinearScorer` (``tests/model/test_scorer.py``),
    and unlike the scorer it does not normalise the texts a second time.
    """
    union = pipeline.named_steps["features"]
    normalized = model_texts(pipeline, normalized)
    blocks = [v.transform(normalized) for _, v in union.transformer_list if not isinstance(v, str)]
    features = sp.hstack(blocks, format="csr")
    return np.asarray(pipeline.named_steps["heads"].predict_proba(features)).reshape(-1, len(ATTRIBUTES))


@dataclass
class TrainedModel:
    pipeline: Pipeline
    thresholds: dict[str, dict[str, float]]
    metrics: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return format_table(self.metrics)


def _label_counts(Y: np.ndarray) -> dict[str, dict[str, int]]:
    return {
        a: {"0": int((Y[:, j] == 0).sum()), "1": int((Y[:, j] == 1).sum())}
        for j, a in enumerate(ATTRIBUTES)
        if (~np.isnan(Y[:, j])).any()
    }


def train(
    datasets: Sequence[Dataset],
    *,
    validation_fraction: float = 0.15,
    seed: str = VALIDATION_SEED,
    spam_precision: float = 0.99,
    params: dict[str, Any] | None = None,
    report: Report = print,
) -> TrainedModel:
    started = time.monotonic()
    given = sum(len(d.examples) for d in datasets)
    report(f"normalising {given:,} texts from {len(datasets)} source(s)")
    corpus = build_corpus(datasets)
    if not len(corpus):
        raise DatasetError(f"no text to train on: the {given:,} texts of the data are all empty once normalised")
    validation_mask = in_validation(corpus.normalized, validation_fraction, seed)
    train_part, validation = corpus.subset(~validation_mask), corpus.subset(validation_mask)
    left_out = f" ({given - len(corpus):,} repeated or empty texts left out)" if given > len(corpus) else ""
    report(f"{len(train_part):,} texts for training, {len(validation):,} held out for validation{left_out}")
    params = dict(params or {})
    pipeline = fit_pipeline(train_part, params, report)
    untrained = list(pipeline.named_steps["heads"].untrained_)
    if untrained:
        report(f"not trained (no labelled examples of both classes in --data): {', '.join(untrained)}; "
               "their scores are always 0 and never hold a comment")
    report(f"scoring {len(validation):,} validation texts")
    P = score_texts(pipeline, validation.normalized)
    thresholds, not_chosen = choose_thresholds(validation.Y, P, validation.sources, ATTRIBUTES, spam_precision)
    if unchosen := [a for a in not_chosen if a not in untrained]:
        report(f"thresholds not chosen (the validation split has no examples of both classes): "
               f"{', '.join(unchosen)}; they stay at the most cautious value")
    metrics = evaluate(validation.Y, P, validation.sources, ATTRIBUTES, thresholds, untrained)
    seconds = time.monotonic() - started
    manifest = {
        "attributes": list(ATTRIBUTES),
        "untrained_attributes": untrained,
        "data": [
            {
                "name": d.name,
                "description": d.description,
                "files": d.files,
                "examples": len(d.examples),
                "train_examples": int((train_part.datasets == d.name).sum()),
                "validation_examples": int((validation.datasets == d.name).sum()),
            }
            for d in datasets
        ],
        "labels": {"train": _label_counts(train_part.Y), "validation": _label_counts(validation.Y)},
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in pipeline.get_params(deep=True).items()
                   if k.startswith(("features__", "heads__")) and k.count("__") == 2 and k != "heads__attributes"},
        "validation": {"fraction": validation_fraction, "seed": seed, "examples": len(validation)},
        "thresholds": thresholds,
        "threshold_policy": {
            "hold": "maximises the mean of the validation sources' own F1 when every source carries both classes "
                    f"(the highest cut within {TOLERANCE} of the best), else one F1 over the pooled validation split "
                    "with every source weighted equally",
            "hold_toxicity_family": "each of toxicity's other scores: raised from its own cut to the highest one "
                                    f"within {TOLERANCE} of the best F1 of the whole hold decision (any of the six "
                                    "at its cut) against the toxicity label, by the same rule",
            "spam": f"lowest spam score with precision >= {spam_precision} on the validation split (sources weighted "
                    "equally)",
            **({"not_chosen": not_chosen} if not_chosen else {}),
        },
        "metrics": metrics,
        "training": {
            "seconds": round(seconds, 1),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "train_examples": len(train_part),
        },
    }
    report(f"trained in {seconds:.0f}s")
    return TrainedModel(pipeline, thresholds, metrics, manifest)


def new_version() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def write(trained: TrainedModel, out: str | Path, version: str | None = None, **extra: Any) -> Path:
    manifest = {
        "version": version or new_version(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **trained.manifest,
        **extra,
    }
    return artifact.save(trained.pipeline, out, manifest, {"evaluation.txt": trained.table + "\n"})


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written into ``folder`` (created if need be), None when they can: checked before a
    training (minutes on the shared data), not found out when writing its result."""
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    if not existing.is_dir():
        return "is a file, not a folder" if existing == folder else f"is under {existing}, a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"this user may not write to {existing}"
    return None


def load_data(paths: Sequence[str | Path], report: Report = print) -> list[Dataset]:
    datasets: list[Dataset] = []
    for path in paths:
        found = load_path(path, skipped=report)
        if not any(example.content.strip() for dataset in found for example in dataset.examples):
            raise DatasetError(f"{path}: no text to train on (an empty file, or only blank texts); check that it is "
                               "the data you meant (an export that failed is empty)")
        for dataset in found:
            if any(d.name == dataset.name and d.files != dataset.files for d in datasets) \
                    and dataset.name.endswith(JSONL_SUFFIXES):  # another file of that name (two sites' exports)
                dataset = replace(dataset, name=str(Path(path) if Path(path).is_file() else Path(path) / dataset.name))
            report(f"loaded {dataset.name}: {len(dataset.examples):,} examples")
            datasets.append(dataset)
    names = [d.name for d in datasets]
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        same = all(len({json.dumps(d.files, sort_keys=True) for d in datasets if d.name == n}) == 1 for n in duplicates)
        raise ValueError(f"the same dataset was given twice: {', '.join(duplicates)}" if same else
                         f"two different folders of the same dataset were given ({', '.join(duplicates)}: their files "
                         "differ); give one of them")
    return datasets
