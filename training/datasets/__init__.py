"""Dataset loaders: every source becomes a list of :class:`LabelledExample` in one schema.

:func:`load_path` accepts what ``moderation-train train --data`` accepts: one dataset folder laid out as in
``shared/data`` (recognised by its files), a folder of such folders, or a JSONL file of labelled comments.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moderation_service.model.artifact import sha256_of

from . import english, german, spam  # noqa: F401  (registers the loaders)
from .base import REGISTRY, Dataset, DatasetSpec, LabelledExample, first_line_not_utf8, open_binary
from .jsonl import JsonlError, load_jsonl

__all__ = ["Dataset", "DatasetError", "JSONL_SUFFIXES", "JsonlError", "LabelledExample", "load_path", "REGISTRY"]


class DatasetError(ValueError):
    """A --data path that is not a dataset this package can read."""


#: The names of files of labelled comments in the project's schema.
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")

#: Files beside the datasets that are notes, not data (the shared data's README, a folder's licence).
_NOTES = (".md", ".txt", ".pdf", ".html")


def _spec_for(folder: Path) -> tuple[DatasetSpec, list[Path]] | None:
    """The dataset a folder holds, and its files."""
    for spec in REGISTRY.values():
        files = spec.files_in(folder)
        if files is not None:
            return spec, files
    return None


def _load_folder(folder: Path, spec: DatasetSpec, files: list[Path]) -> Dataset:
    try:
        examples = [ex for ex in spec.load(folder) if ex.content.strip()]
    except UnicodeDecodeError as exc:
        for path in files:
            if (line := first_line_not_utf8(path)) is not None:
                raise DatasetError(f"{path}:{line}: not UTF-8 text; convert the file to UTF-8") from None
        raise DatasetError(f"{folder}: not UTF-8 text ({exc}); convert its files to UTF-8") from None
    except (OSError, EOFError) as exc:  # a file cut short (a gzip file's end missing), a disk that fails
        bad = next((path for path in files if _unreadable(path)), None)
        name = bad.name if bad else ", ".join(path.name for path in files)
        raise DatasetError(f"{folder}: cannot read {name} ({getattr(exc, 'strerror', None) or exc}); copy it again "
                           "from the original") from None
    except (ValueError, KeyError, IndexError, TypeError) as exc:  # a label or a column not as the layout has it
        raise DatasetError(f"{folder}: not laid out as {spec.name} ({type(exc).__name__}: {exc}); compare its files "
                           f"with the original ({', '.join(path.name for path in files)})") from None
    return Dataset(spec.name, examples, {path.name: sha256_of(path) for path in files}, spec.description)


def _unreadable(path: Path) -> bool:
    """Whether reading ``path`` to its end fails (a gzip file cut short)."""
    try:
        with open_binary(path) as handle:
            while handle.read(1 << 20):
                pass
    except (OSError, EOFError):
        return True
    return False


def _load_jsonl_file(path: Path) -> Dataset:
    examples = list(load_jsonl(path))
    return Dataset(path.name, examples, {path.name: sha256_of(path)}, f"labelled comments from {path}")


def load_path(path: str | Path, skipped: Callable[[str], None] | None = None) -> list[Dataset]:
    """Load every dataset found at ``path``; in a folder of them, ``skipped`` hears of each folder or data file
    that is neither (``README.md`` and the like aside, and hidden entries)."""
    path = Path(path)
    if path.is_file():
        if path.name.endswith(JSONL_SUFFIXES):
            return [_load_jsonl_file(path)]
        raise DatasetError(f"{path}: a data file must be JSONL of labelled comments (*.jsonl, *.jsonl.gz or "
                           "*.ndjson); "
                           f"for a dataset's own files (CSV, TSV…), give the folder that holds them")
    if not path.is_dir():
        raise DatasetError(f"{path}: no such file or folder")
    found = _spec_for(path)
    if found is not None:
        return [_load_folder(path, *found)]
    datasets = []
    for child in sorted(path.iterdir()):
        child_found = _spec_for(child) if child.is_dir() else None
        if child_found is not None:
            datasets.append(_load_folder(child, *child_found))
        elif child.is_file() and child.name.endswith(JSONL_SUFFIXES):
            datasets.append(_load_jsonl_file(child))
        elif skipped is not None and not child.name.startswith(".") and not child.name.endswith(_NOTES):
            what = "no dataset this training reads (by its files)" if child.is_dir() else "not a JSONL file"
            skipped(f"skipped {child}: {what}")
    if not datasets:
        known = ", ".join(sorted(REGISTRY))
        raise DatasetError(
            f"{path}: found no dataset. Give a dataset folder ({known}), a folder of them, or a JSONL file."
        )
    return datasets
