"""``moderation-train retrain``: a candidate from the base data plus the collected labels, compared with the
live model on the same data, gated, and promoted when it is not worse.

1. Collect every labelled example (Redis or JSONL exports) and hold back the most recent slice.
2. Train the candidate on the base datasets plus the older labels (each weighing ``label_weight``).
3. Score the candidate and the live model on the base validation split and on the held-back labels.
4. Gate (:mod:`training.gate`), write the artifact into ``models/<version>`` with the gate's result in its
   manifest, write the report, and promote (``models/LIVE`` plus the Redis reload notice) if the gate
   passed or ``force`` was given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from redis.exceptions import RedisError

from moderation_service.live_model import live_directory, unloadable
from moderation_service.model import artifact
from moderation_service.model.artifact import ModelArtifactError

from . import plots, registry, report, site_labels
from .comparison import Scored, compare_set, evaluation_sets, score
from .gate import GateRules, check
from .site_labels import Collected
from .train import TrainedModel, folder_problem, load_data, new_version, train, write

Progress = Callable[[str], None]


@dataclass
class RetrainOptions:
    data: Sequence[str]
    models_dir: Path
    redis_url: str | None = None
    label_files: Sequence[str] = ()
    label_weight: float = site_labels.DEFAULT_LABEL_WEIGHT
    holdout_fraction: float = site_labels.DEFAULT_HOLDOUT_FRACTION
    rules: GateRules = field(default_factory=GateRules)
    report_dir: Path | None = None
    force: bool = False
    promote: bool = True
    version: str | None = None
    validation_fraction: float = 0.15
    spam_precision: float = 0.99


@dataclass
class Outcome:
    directory: Path
    report: dict[str, Any]
    report_files: list[Path]
    promoted: bool
    listeners: int | None  # service processes that heard the reload notice

    @property
    def passed(self) -> bool:
        return bool(self.report["gate"]["passed"])


def _collect(options: RetrainOptions) -> Collected:
    if options.redis_url:
        try:
            return site_labels.from_redis(options.redis_url)
        except RedisError as exc:
            raise registry.RegistryError(
                f"cannot read the labels from Redis at {registry.redis_location(options.redis_url)} ({exc}); check "
                "--redis-url (the service's REDIS_URL), or export them (GET /v1/ops/labels) and pass "
                "--labels FILE.jsonl") from None
    return site_labels.from_files(options.label_files)


class Live(NamedTuple):
    """The live model as :func:`_live` found it: ``directory`` is the folder ``LIVE`` named then (its name is the
    version a candidate compared with it may replace, see :func:`~.registry.promote`'s ``compared_with``)."""

    version: str
    pipeline: Any
    manifest: dict[str, Any]
    directory: Path


def _live(models_dir: Path, progress: Progress, *, load: bool = True) -> Live | None:
    """The live model (version, pipeline, manifest, directory), None when there is none; without ``load``, only
    verified (the pipeline None): checked before training, so that a damaged live model does not cost a training
    first. ``LIVE`` is read once: what is loaded is what the candidate is compared with."""
    directory = live_directory(models_dir)
    if directory is None:
        progress(f"no live model in {models_dir}: the candidate is not compared and passes the gate")
        return None
    try:
        pipeline, manifest = registry.load_pipeline(directory) if load else (None, artifact.verify(directory))
    except ModelArtifactError as exc:
        raise registry.RegistryError(
            f"the live model fails verification, so the candidate cannot be compared with it: {exc}. "
            "Roll back or promote a good version first (moderation-train models list)") from None
    except Exception as exc:  # whatever unpickling raises (a module this environment lacks, …)
        raise registry.RegistryError(
            f"the live model cannot be loaded, so the candidate cannot be compared with it: {directory}: "
            f"{unloadable(exc)}. Roll back or promote a good version first (moderation-train models list)") from None
    return Live(str(manifest["version"]), pipeline, manifest, directory)


def _notes(trained: TrainedModel, live_manifest: dict[str, Any] | None) -> list[str]:
    if live_manifest is None:
        return []
    mine, theirs = trained.manifest["validation"], live_manifest.get("validation", {})
    if (mine["fraction"], mine["seed"]) != (theirs.get("fraction"), theirs.get("seed")):
        return [f"the live model used another validation split ({theirs}); it may have trained on some "
                "base_validation texts, which flatters it"]
    return []


def retrain(options: RetrainOptions, progress: Progress) -> Outcome:
    version = options.version or new_version()
    if not registry.is_version_name(version):
        raise registry.RegistryError(f"--version {version!r}: a version is the name of a folder in the models folder "
                                     f"({options.models_dir}), not a path")
    directory = options.models_dir / version
    if not options.models_dir.is_dir():
        raise registry.RegistryError(
            f"no folder {options.models_dir}: --models-dir (default: MODERATION_MODELS_DIR, or models in the current "
            "folder) names the service's models folder, whose live model the candidate is compared with; create "
            "the folder first to start one without a live model")
    if directory.exists():
        raise registry.RegistryError(f"{directory} exists already; choose another --version")
    if problem := folder_problem(options.models_dir):  # found out before the training, not after it
        raise registry.RegistryError(f"{options.models_dir}, where the candidate goes: {problem}; run retrain as an "
                                     "operator who may write to the service's models folder")
    if options.report_dir is not None and (problem := folder_problem(options.report_dir)):
        raise registry.RegistryError(f"--report {options.report_dir}: {problem}; choose another --report, or leave it "
                                     "out (the report then goes into the candidate's folder)")
    _live(options.models_dir, lambda message: None, load=False)
    collected = _collect(options)
    recent_train, held_back = site_labels.split_recent(collected, options.holdout_fraction)
    labels = site_labels.summary(collected, recent_train, held_back, options.label_weight, options.holdout_fraction)
    superseded = labels["superseded_by_other_origin"]
    progress(f"{len(collected.records):,} collected labels: {len(recent_train):,} for training, "
             f"{len(held_back):,} most recent held back; {superseded['labels']:,} superseded by another origin's "
             f"later word ({superseded['contradicting']:,} contradicting it)")
    base = load_data(options.data, progress)
    trained = train([*base, *site_labels.as_datasets(recent_train, options.label_weight)],
                    validation_fraction=options.validation_fraction, spam_precision=options.spam_precision,
                    report=progress)
    live = _live(options.models_dir, progress)
    compared_with = live.directory.name if live else None  # promoted only if it is still the one live
    sets = evaluation_sets(base, site_labels.as_datasets(held_back, 1.0), options.validation_fraction,
                           trained.manifest["validation"]["seed"])
    scored: dict[str, tuple[Scored, Scored | None]] = {}
    for evaluation in sets:
        progress(f"scoring {len(evaluation.corpus):,} comments of {evaluation.name} with both models")
        scored[evaluation.name] = (score(trained.pipeline, trained.thresholds, evaluation),
                                   score(live.pipeline, live.manifest["thresholds"], evaluation) if live else None)
    comparison = {e.name: compare_set(e, *scored[e.name]) for e in sets}
    lost = [a for a in trained.manifest["untrained_attributes"]
            if live and a not in live.manifest.get("untrained_attributes", [])]
    gate = check(comparison, options.rules, lost)
    gate["thresholds"] = trained.thresholds  # what it judged (thresholds --write later notes its changes here)
    promote = options.promote and (gate["passed"] or options.force)
    gate["forced"] = bool(promote and not gate["passed"])
    result = {
        "candidate": {"version": version, "directory": str(directory)},
        "current": {"version": live.version, "directory": str(live.directory)} if live else None,
        "site_labels": labels,
        "sets": comparison,
        "gate": gate,
        "notes": _notes(trained, live.manifest if live else None),
    }
    write(trained, directory, version, site_labels=labels, gate=gate, forced=gate["forced"],
          compared_with=result["current"] and result["current"]["version"])
    report_dir = options.report_dir or directory / "report"
    files = report.write(result, report_dir)
    for evaluation in sets:
        files += plots.write(report_dir, evaluation, *scored[evaluation.name])
    try:
        listeners = (registry.promote(options.models_dir, version, options.redis_url, compared_with=compared_with)
                     if promote else None)
    except registry.RegistryBusy as exc:  # "run it again" would be a whole retraining: promoting it is enough
        raise registry.RegistryError(
            f"the candidate is kept in {directory} with its report, not promoted: {exc.busy}. When that one has "
            f"finished, promote it without training again: moderation-train models promote {version} (models list "
            "shows what is live)") from None
    except registry.RegistryError as exc:
        raise registry.RegistryError(f"the candidate is kept in {directory} with its report; {exc}") from None
    return Outcome(directory, result, files, promote, listeners)
