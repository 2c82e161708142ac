"""The one shape every dataset loader produces, and the registry that finds the right loader."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from moderation_service.model.attributes import ATTRIBUTES, TOXICITY_FAMILY

# Some texts (Jigsaw) exceed the csv module's default field size limit.
csv.field_size_limit(10_000_000)


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """One training text with the labels it carries; an attribute absent from ``labels`` is unknown."""

    content: str
    labels: dict[str, int]
    source: str
    lang: str | None = None
    subset: str = ""  # e.g. the YouTube video, for grouped evaluation
    weight: float = 1.0


@dataclass(frozen=True)
class Dataset:
    """The examples of one source with what the manifest records about where they came from."""

    name: str
    examples: list[LabelledExample]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    description: str = ""


Loader = Callable[[Path], Iterator[LabelledExample]]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    #: The files that identify the folder, all read: names, or glob patterns that must match one file or more.
    files: tuple[str, ...]
    load: Loader
    description: str

    def files_in(self, folder: Path) -> list[Path] | None:
        """The folder's files of this dataset, or ``None`` when one of :attr:`files` is missing."""
        found = []
        for pattern in self.files:
            matches = sorted(path for path in folder.glob(pattern) if path.is_file())
            if not matches:
                return None
            found += matches
        return found


REGISTRY: dict[str, DatasetSpec] = {}


def register(name: str, files: tuple[str, ...], description: str) -> Callable[[Loader], Loader]:
    def decorator(load: Loader) -> Loader:
        REGISTRY[name] = DatasetSpec(name, files, load, description)
        return load

    return decorator


def complete_labels(labels: dict[str, int]) -> dict[str, int]:
    """Fill what the labels imply: a text that is not toxic has none of the toxicity sub-attributes."""
    if labels.get("toxicity") == 0:
        labels = {**{a: 0 for a in TOXICITY_FAMILY}, **labels}
    unknown = set(labels) - set(ATTRIBUTES)
    if unknown:
        raise ValueError(f"unknown attributes {sorted(unknown)}")
    return labels


def open_binary(path: Path) -> io.BufferedIOBase:
    """Open a file, gzip-compressed or not, for reading bytes."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115


def open_text(path: Path, newline: str | None = "") -> io.TextIOWrapper:
    """Open a UTF-8 text file, gzip-compressed or not (csv wants ``newline=''``)."""
    # The returned wrapper owns the file and callers close it with ``with``.
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", newline=newline)


def first_line_not_utf8(path: Path) -> int | None:
    """The number of the first line of ``path`` that is not UTF-8, None when every line is."""
    with open_binary(path) as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def read_csv(path: Path, **kwargs: object) -> Iterator[dict[str, str]]:
    with open_text(path) as handle:
        yield from csv.DictReader(handle, **kwargs)  # type: ignore[arg-type]


def read_rows(path: Path, **kwargs: object) -> Iterator[list[str]]:
    with open_text(path) as handle:
        yield from csv.reader(handle, **kwargs)  # type: ignore[arg-type]
