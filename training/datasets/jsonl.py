"""Labelled comments in the project's own schema (see :mod:`moderation_service.labels`)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from moderation_service.jsonfast import NotJsonObject, loads_object
from moderation_service.labels import LABELLED_EXAMPLE_SCHEMA

from .base import LabelledExample, complete_labels, open_binary


class JsonlError(ValueError):
    """A labelled-comments file has a line that cannot be used; the message names the file and line."""


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Each line of ``path`` loaded through the schema (defaults filled in), in file order."""
    # Bytes, each line decoded on its own: a line that is not UTF-8 is an error that names it.
    try:
        with open_binary(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield LABELLED_EXAMPLE_SCHEMA.load(loads_object(line))
                except NotJsonObject as exc:
                    raise JsonlError(f"{path}:{number}: {exc}") from exc
                except ValidationError as exc:
                    raise JsonlError(f"{path}:{number}: {json.dumps(exc.messages, ensure_ascii=False)}") from exc
    except (OSError, EOFError) as exc:  # no such file, no permission, a truncated or damaged gzip file
        raise JsonlError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc}); check the path, or "
                         "export the file again") from None


def to_example(data: Mapping[str, Any], weight: float = 1.0) -> LabelledExample:
    """One record loaded through the schema as a training example; ``weight`` multiplies its own weight."""
    return LabelledExample(
        content=data["content"],
        labels=complete_labels(dict(data["labels"])),
        source=data["source"],
        lang=data["lang"],
        subset=data["site_id"] or "",
        weight=data["weight"] * weight,
    )


def load_jsonl(path: Path) -> Iterator[LabelledExample]:
    for data in read_records(path):
        yield to_example(data)
