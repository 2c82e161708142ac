"""Model artifacts on disk: ``<dir>/model.joblib`` plus ``<dir>/manifest.json``, verified before loading.

Loading a joblib file runs pickle, which executes code: only load artifacts from a directory you trust.
The manifest's checksums catch a truncated or swapped file and its versions catch an environment the
model was not built for; neither protects against someone who can write both files.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy
import sklearn

from .. import __version__
from .attributes import ATTRIBUTES
from .explain import Features, Phrase
from .scorer import LinearScorer

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
FORMAT = "moderation-model/1"


class ModelArtifactError(Exception):
    """An artifact that must not be loaded; the message says why and what to do."""


def runtime_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
        "project": __version__,
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version_mismatches(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """What differs between the versions an artifact was built with and this environment."""
    problems = []

    def minor(version: str) -> str:
        return ".".join(version.split(".")[:2])

    if minor(recorded.get("python", "?")) != minor(current["python"]):
        problems.append(f"Python {recorded.get('python')} (running {current['python']})")
    for package in ("scikit-learn", "project"):
        if recorded.get(package) != current[package]:
            problems.append(f"{package} {recorded.get(package)} (running {current[package]})")
    return problems


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_FILE
    if not directory.exists():
        raise ModelArtifactError(f"{directory}: no such folder; give a model's folder (models/<version>)")
    if not directory.is_dir():
        raise ModelArtifactError(f"{directory}: a file, not a model's folder; give a model's folder (models/<version>)")
    if not path.is_file():
        raise ModelArtifactError(f"{directory}: no {MANIFEST_FILE}; this is not a model artifact directory")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
        raise ModelArtifactError(f"{path}: cannot read the manifest ({exc}); restore it or retrain") from exc
    if not isinstance(manifest, dict):
        raise ModelArtifactError(f"{path}: not a {FORMAT} manifest (not a JSON object)")
    missing = [k for k in ("format", "version", "versions", "files", "thresholds") if k not in manifest]
    if manifest.get("format") != FORMAT or missing:
        raise ModelArtifactError(f"{path}: not a {FORMAT} manifest (missing {missing or 'the format tag'})")
    if problem := _malformed(manifest):
        raise ModelArtifactError(f"{path}: {problem}; restore the manifest or retrain")
    return manifest


def _malformed(manifest: dict[str, Any]) -> str | None:
    """What in a manifest's versions, files or thresholds has not the shape that loading and deciding read
    (a hand-edited manifest: verified as it was, it failed later, its thresholds in every decision)."""
    if not isinstance(manifest["versions"], dict):
        return "versions in the manifest are not an object of package versions"
    files = manifest["files"]
    if not isinstance(files, dict) or not all(isinstance(e, dict) and isinstance(e.get("sha256"), str)
                                              for e in files.values()):
        return "files in the manifest are not an object of file names with their sha256"
    thresholds = manifest["thresholds"]
    if not isinstance(thresholds, dict):
        return "thresholds in the manifest are not an object of scores"
    unknown = sorted(set(thresholds) - set(ATTRIBUTES))
    if unknown:
        return f"thresholds in the manifest name unknown scores {unknown}"
    for attribute in ATTRIBUTES:
        values = thresholds.get(attribute)
        for kind in ("hold", "spam") if attribute == "spam" else ("hold",):
            value = values.get(kind) if isinstance(values, dict) else None
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                return f"thresholds in the manifest: {attribute} has no {kind} threshold from 0 to 1 ({value!r})"
    return None


def verify(directory: Path) -> dict[str, Any]:
    """Check an artifact's manifest, versions and checksums; return the manifest or raise with the reason."""
    manifest = read_manifest(directory)
    mismatches = version_mismatches(manifest["versions"], runtime_versions())
    if mismatches:
        raise ModelArtifactError(
            f"{directory}: built with {', '.join(mismatches)}. Retrain it in this environment "
            "(moderation-train train --data PATH --out DIR) or run the versions it was built with."
        )
    for name, entry in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise ModelArtifactError(f"{directory}: {name} is listed in the manifest but missing")
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise ModelArtifactError(
                f"{path}: checksum {actual[:12]}… does not match the manifest's {entry['sha256'][:12]}…; "
                "the file is damaged or was replaced. Restore it or retrain."
            )
    if MODEL_FILE not in manifest["files"]:
        raise ModelArtifactError(f"{directory}: the manifest does not list {MODEL_FILE}")
    return manifest


@dataclass(frozen=True)
class Model:
    """A verified, loaded artifact: its scorer, version and the thresholds chosen when it was trained."""

    directory: Path
    manifest: dict[str, Any]
    scorer: LinearScorer

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        return self.manifest["thresholds"]  # type: ignore[no-any-return]

    @cached_property
    def untrained(self) -> tuple[str, ...]:
        """Attributes its training data had no labels of both classes for: always scored 0."""
        return tuple(self.manifest.get("untrained_attributes", ()))

    def scores(self, text: str) -> dict[str, float]:
        """Every attribute's probability for one comment text, rounded to 6 places."""
        return self.assess(text)[0]

    def assess(self, text: str) -> tuple[dict[str, float], Features]:
        """The scores of one comment text and its features, for :meth:`explain`."""
        features = self.scorer.features(text)
        probabilities = self.scorer.probabilities_of(features)
        return {name: round(float(p), 6) for name, p in zip(self.scorer.attributes, probabilities)}, features

    def explain(self, features: Features, attributes: Sequence[str]) -> dict[str, list[Phrase]]:
        """The words that raised each of ``attributes``, with their offsets in the comment's text."""
        return self.scorer.explain(features, attributes)


def load(directory: str | Path) -> Model:
    directory = Path(directory)
    manifest = verify(directory)
    pipeline = joblib.load(directory / MODEL_FILE)
    scorer = LinearScorer(pipeline)
    if scorer.attributes != ATTRIBUTES:
        raise ModelArtifactError(f"{directory}: scores {scorer.attributes}, expected {ATTRIBUTES}")
    return Model(directory, manifest, scorer)


def save(pipeline: Any, directory: str | Path, manifest: dict[str, Any], extra_files: dict[str, str]) -> Path:
    """Write the pipeline, extra text files and the manifest (with checksums of all) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, directory / MODEL_FILE, compress=3)
    for name, text in extra_files.items():
        (directory / name).write_text(text, encoding="utf-8")
    names = [MODEL_FILE, *extra_files]
    files = {name: {"sha256": sha256_of(directory / name), "bytes": (directory / name).stat().st_size}
             for name in names}
    full = {"format": FORMAT, **manifest, "versions": runtime_versions(), "files": files}
    temporary = directory / f".{MANIFEST_FILE}.tmp"
    temporary.write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(directory / MANIFEST_FILE)
    return directory
