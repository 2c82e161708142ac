"""German offensive language: GermEval 2018, 2019 and 2021, and the Würzburg hate speech corpus."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from .base import LabelledExample, complete_labels, read_rows, register

# R writes a non-ASCII character as <U+XXXX> or, beyond the BMP, <U+XXXXXXXX> (GermEval 2019: 1,120 of
# its 1,501 escapes have eight digits, e.g. <U+0001F602>).
_R_EMOJI = re.compile(r"<U\+([0-9A-Fa-f]{4,8})>")

# GermEval's fine labels mapped to Perspective's attributes: ABUSE ascribes a negatively judged social
# identity (an identity attack, and insulting), INSULT targets a person, PROFANITY is swearing alone.
GERMEVAL_FINE = {
    "OTHER": {"toxicity": 0},
    "ABUSE": {"toxicity": 1, "identity_attack": 1, "insult": 1},
    "INSULT": {"toxicity": 1, "insult": 1, "identity_attack": 0},
    "PROFANITY": {"toxicity": 1, "profanity": 1, "insult": 0, "identity_attack": 0},
}


def germeval_text(text: str) -> str:
    """Undo GermEval's encodings: ``|LBR|`` line breaks and R-escaped emoji (2019)."""
    text = text.replace("|LBR|", "\n")
    return _R_EMOJI.sub(_unescape_r, text)


def _unescape_r(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if code <= 0x10FFFF else match.group(0)


def _germeval(path: Path, source: str) -> Iterator[LabelledExample]:
    for row in read_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE):
        if len(row) == 3:
            labels = complete_labels({"spam": 0, **GERMEVAL_FINE[row[2]]})
            yield LabelledExample(germeval_text(row[0]), labels, source, "de")


@register("germeval2018", ("germeval2018.training.txt",), "GermEval 2018 offensive language, training set, de")
def load_germeval2018(folder: Path) -> Iterator[LabelledExample]:
    return _germeval(folder / "germeval2018.training.txt", "germeval2018")


@register(
    "germeval2019",
    ("germeval2019.training_subtask1_2_korrigiert.txt",),
    "GermEval 2019 task 2 offensive language, corrected training set, de",
)
def load_germeval2019(folder: Path) -> Iterator[LabelledExample]:
    return _germeval(folder / "germeval2019.training_subtask1_2_korrigiert.txt", "germeval2019")


@register("germeval2021-toxic", ("GermEval21_TrainData.csv",), "GermEval 2021 toxic comments, training set, de")
def load_germeval2021(folder: Path) -> Iterator[LabelledExample]:
    with (folder / "GermEval21_TrainData.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            labels = complete_labels({"spam": 0, "toxicity": int(row["Sub1_Toxic"])})
            yield LabelledExample(row["comment_text"], labels, "germeval2021-toxic", "de")


WUE_FILES = {  # file -> has a header line
    "bretschneider.csv": True,
    "germanrefugees.csv": False,
    "hasoc.csv": False,
    "polly_withhate_dez16-20.csv": True,
}
WUE_LABELS = {
    "n": {"toxicity": 0},
    "p": {"toxicity": 1, "severe_toxicity": 0},
    "hs": {"toxicity": 1, "severe_toxicity": 1},  # only clear cases: threats, incitement
}


@register("german-hatespeech-wue", tuple(WUE_FILES), "Würzburg German hate speech corpus, 4 re-annotated subsets")
def load_wue(folder: Path) -> Iterator[LabelledExample]:
    for name, has_header in WUE_FILES.items():
        rows = read_rows(folder / name, delimiter="\t")
        if has_header:
            next(rows)
        for row in rows:
            if len(row) == 2 and row[0] in WUE_LABELS:  # empty labels are unlabelled rows
                labels = complete_labels({"spam": 0, **WUE_LABELS[row[0]]})
                yield LabelledExample(row[1], labels, "german-hatespeech-wue", "de", name.removesuffix(".csv"))
