"""The model the service scores with, and where it comes from.

Requests read :attr:`ModelHolder.current` once at their start and keep that object, so swapping in a new
model never changes the model under a request in flight.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .exceptions import ConfigurationError
from .model import artifact
from .model.artifact import Model

logger = logging.getLogger(__name__)

LIVE_POINTER = "LIVE"


def live_directory(models_dir: Path) -> Path | None:
    """The artifact ``models/LIVE`` points to, or None when there is no live model yet."""
    pointer = models_dir / LIVE_POINTER
    if not pointer.is_file():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return models_dir / version if version else None


def set_live(models_dir: Path, version: str) -> None:
    """Point ``models/LIVE`` at ``version`` atomically (write a temporary file, then rename)."""
    temporary = models_dir / f".{LIVE_POINTER}.tmp"
    temporary.write_text(version + "\n", encoding="utf-8")
    temporary.replace(models_dir / LIVE_POINTER)


def resolve_model_dir(model_dir: Path | None, models_dir: Path) -> Path:
    if model_dir is not None:
        return model_dir
    live = live_directory(models_dir)
    if live is None:
        raise ConfigurationError(
            f"no model: {models_dir / LIVE_POINTER} does not exist. Train one with "
            f"'moderation-train train --data data --out {models_dir}/<version>' and point {LIVE_POINTER} at it, "
            "or set MODERATION_MODEL to an artifact directory."
        )
    return live


class ModelHolder:
    def __init__(self, model: Model) -> None:
        self.current = model

    @classmethod
    def load(cls, directory: Path) -> ModelHolder:
        try:
            model = artifact.load(directory)
        except artifact.ModelArtifactError as exc:
            raise ConfigurationError(f"cannot load the model: {exc}") from None
        logger.info("model %s loaded from %s", model.version, directory)
        return cls(model)
