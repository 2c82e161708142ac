"""English toxicity: the Jigsaw subset (six labels), Davidson et al. and OLID."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .base import LabelledExample, complete_labels, read_csv, register

JIGSAW_COLUMNS = {
    "toxic": "toxicity",
    "severe_toxic": "severe_toxicity",
    "obscene": "profanity",
    "threat": "threat",
    "insult": "insult",
    "identity_hate": "identity_attack",
}


def _known(value: str) -> bool:
    return value.strip().lower() not in ("", "nan")


@register("jigsaw-toxic", ("jigsaw_train_subset.csv.gz",), "Jigsaw Toxic Comment Classification, 40k train subset, en")
def load_jigsaw(folder: Path) -> Iterator[LabelledExample]:
    for row in read_csv(folder / "jigsaw_train_subset.csv.gz"):
        # Minor labels are empty (NaN) where only `toxic` is known.
        labels = {attr: int(float(row[col])) for col, attr in JIGSAW_COLUMNS.items() if _known(row[col])}
        yield LabelledExample(
            row["comment_text"], complete_labels({"spam": 0, **labels}), "jigsaw-toxic", "en", row["subset"]
        )


DAVIDSON_CLASSES = {
    "0": {"toxicity": 1, "identity_attack": 1},  # hate speech
    "1": {"toxicity": 1, "identity_attack": 0},  # offensive language
    "2": {"toxicity": 0},  # neither
}


@register("davidson-offensive", ("labeled_data_train.csv",), "Davidson et al. 2017 hate/offensive tweets (80%), en")
def load_davidson(folder: Path) -> Iterator[LabelledExample]:
    for row in read_csv(folder / "labeled_data_train.csv"):
        labels = complete_labels({"spam": 0, **DAVIDSON_CLASSES[row["class"]]})
        yield LabelledExample(row["tweet"], labels, "davidson-offensive", "en")


def _olid_labels(a: str, b: str, c: str) -> dict[str, int]:
    if a == "NOT":
        return {"toxicity": 0}
    labels = {"toxicity": 1}
    if b == "UNT":  # untargeted: profanity
        labels |= {"profanity": 1, "insult": 0, "identity_attack": 0, "threat": 0}
    elif b == "TIN":  # targeted insult or threat
        labels |= {"insult": 1, "identity_attack": int(c == "GRP")}
    return labels


@register("olid", ("olid-training-v1.0.tsv",), "OLID / OffensEval 2019 training set, en")
def load_olid(folder: Path) -> Iterator[LabelledExample]:
    # One quoting mode everywhere: QUOTE_NONE keeps the raw text (see PROVENANCE.md).
    rows = read_csv(folder / "olid-training-v1.0.tsv", delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        labels = complete_labels({"spam": 0, **_olid_labels(row["subtask_a"], row["subtask_b"], row["subtask_c"])})
        yield LabelledExample(row["tweet"], labels, "olid", "en")
