"""Fixtures of the retraining tests: the session's small corpus and a models/ folder with a live model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation_service.live_model import set_live
from tests.test_hot_reload import make_version


@pytest.fixture
def corpus(model_dir: Path) -> Path:
    """The ~3,000 real labelled texts the session's test model (``model_dir``) was trained on."""
    return model_dir.parent / "corpus.jsonl"


@pytest.fixture
def models(tmp_path: Path, model_dir: Path) -> Path:
    """``models/`` with the session's test model as version ``v1``, live."""
    folder = tmp_path / "models"
    folder.mkdir()
    make_version(folder, model_dir, "v1")
    set_live(folder, "v1")
    return folder


def read_manifest(directory: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
