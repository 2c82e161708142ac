"""Artifacts on disk: what load accepts, and refusals that say why and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sklearn

from moderation_service.model import artifact
from moderation_service.model.artifact import ModelArtifactError
from moderation_service.model.attributes import ATTRIBUTES

from .helpers import fitted_pipeline

THRESHOLDS = {"spam": {"hold": 0.5, "spam": 0.9}, **{a: {"hold": 0.4} for a in ATTRIBUTES[1:]}}


def saved(directory: Path) -> Path:
    return artifact.save(fitted_pipeline(), directory, {"version": "v-test", "thresholds": THRESHOLDS},
                         {"evaluation.txt": "table\n"})


def edit_manifest(directory: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = directory / artifact.MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def test_saved_artifact_loads_and_scores(tmp_path: Path) -> None:
    model = artifact.load(saved(tmp_path / "model"))
    assert model.version == "v-test"
    assert model.thresholds == THRESHOLDS
    assert model.manifest["format"] == artifact.FORMAT
    assert set(model.manifest["files"]) == {"model.joblib", "evaluation.txt"}
    scores = model.scores("Check out my channel http://spam.example/z")
    assert list(scores) == list(ATTRIBUTES)
    assert all(0.0 <= value <= 1.0 and round(value, 6) == value for value in scores.values())
    assert model.scorer.attributes == ATTRIBUTES


def test_changed_file_is_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path / "model")
    with (directory / "model.joblib").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelArtifactError) as error:
        artifact.load(directory)
    message = str(error.value)
    assert "model.joblib: checksum" in message and "does not match the manifest" in message
    assert "damaged or was replaced" in message and "Restore it or retrain" in message


def test_changed_extra_file_is_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path / "model")
    (directory / "evaluation.txt").write_text("edited\n", encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="evaluation.txt: checksum"):
        artifact.verify(directory)


def test_other_scikit_learn_version_is_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path / "model")
    edit_manifest(directory, lambda m: m["versions"].update({"scikit-learn": "0.24.2"}))
    with pytest.raises(ModelArtifactError) as error:
        artifact.verify(directory)
    message = str(error.value)
    assert f"built with scikit-learn 0.24.2 (running {sklearn.__version__})" in message
    assert "Retrain it in this environment (moderation-train train --data PATH --out DIR)" in message
    assert "or run the versions it was built with" in message


def test_other_python_minor_version_is_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path / "model")
    edit_manifest(directory, lambda m: m["versions"].update({"python": "3.9.1"}))
    with pytest.raises(ModelArtifactError, match=r"built with Python 3\.9\.1 \(running 3\.11\."):
        artifact.verify(directory)


def test_missing_or_foreign_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="no manifest.json; this is not a model artifact directory"):
        artifact.verify(tmp_path)
    (tmp_path / artifact.MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="cannot read the manifest"):
        artifact.verify(tmp_path)
    (tmp_path / artifact.MANIFEST_FILE).write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="not a moderation-model/1 manifest"):
        artifact.verify(tmp_path)


def test_listed_file_that_is_missing_is_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path / "model")
    (directory / "evaluation.txt").unlink()
    with pytest.raises(ModelArtifactError, match="evaluation.txt is listed in the manifest but missing"):
        artifact.verify(directory)


def test_a_manifest_not_in_utf8_or_not_an_object_is_refused(tmp_path: Path) -> None:
    """Both were tracebacks (UnicodeDecodeError, AttributeError) instead of a refusal."""
    (tmp_path / artifact.MANIFEST_FILE).write_bytes(b"\xff\xfe{}")
    with pytest.raises(ModelArtifactError, match="cannot read the manifest"):
        artifact.verify(tmp_path)
    (tmp_path / artifact.MANIFEST_FILE).write_text("[]", encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="not a moderation-model/1 manifest"):
        artifact.verify(tmp_path)


def test_a_model_path_that_is_no_folder_says_so(tmp_path: Path) -> None:
    """`score --model` or MODERATION_MODEL with a mistyped folder said 'no manifest.json; this is not a model
    artifact directory', as if the folder were there; a damaged manifest did not say what to do."""
    with pytest.raises(ModelArtifactError) as error:
        artifact.verify(tmp_path / "modle")
    assert str(error.value) == f"{tmp_path / 'modle'}: no such folder; give a model's folder (models/<version>)"
    (tmp_path / "comments.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(ModelArtifactError) as error:
        artifact.verify(tmp_path / "comments.jsonl")
    assert str(error.value) == (f"{tmp_path / 'comments.jsonl'}: a file, not a model's folder; give a model's "
                                "folder (models/<version>)")
    (tmp_path / artifact.MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelArtifactError, match=r"cannot read the manifest \(.*\); restore it or retrain$"):
        artifact.verify(tmp_path)
