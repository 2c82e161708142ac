"""Cheap text statistics as binned indicator features: length, links, capitals, digits, punctuation.

Each statistic falls into one of a few bins and its bin's column gets the value ``scale``, so a linear
head can learn any monotone or non-monotone effect (a very short text, a second link, a text in capitals)
as one weight per bin. The statistics are read from the normalised text, where every link is the token
``URL`` followed by its host (see :func:`moderation_service.model.text.normalize`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

_REPEAT = re.compile(r"(.)\1\1\1")
_LINK = re.compile(r"URL(?: \S+)?")

#: (name, upper bin edges): a value v falls into the first bin whose edge exceeds it, else the last bin.
BINS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("chars", (12, 30, 80, 200, 500)),
    ("links", (1, 2)),
    ("capitals_share", (0.05, 0.2, 0.5, 0.8)),
    ("digits_share", (0.005, 0.03, 0.1)),
    ("marks", (1, 3)),
    ("repeats", (1,)),
    ("non_latin_share", (0.02, 0.3)),
)
_OFFSETS = np.cumsum([0] + [len(edges) + 1 for _, edges in BINS])
_STARTS = _OFFSETS[:-1]


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _letters(text: str) -> tuple[int, int, int]:
    """Cased letters, capitals among them, and those beyond Latin (Greek, Cyrillic, ...)."""
    lower, upper = text.lower(), text.replace("ß", "s").upper()
    if len(lower) == len(upper) == len(text):  # numpy over code points; NFKC left few length-changing cases
        points, lower_points = _code_points(text), _code_points(lower)
        cased = lower_points != _code_points(upper)
        capitals = int(np.count_nonzero(points != lower_points))
        return int(np.count_nonzero(cased)), capitals, int(np.count_nonzero(cased & (points > 0x24F)))
    letters = [c for c in text if c.lower() != c.upper()]
    return len(letters), sum(c.isupper() for c in letters), sum(c > "\u024f" for c in letters)


def statistics(text: str) -> tuple[float, ...]:
    """The raw statistics of one normalised text, in the order of :data:`BINS`."""
    links = text.count("URL")
    # Letters are counted outside links: "URL host" is not shouting, and a host is not prose.
    letters, capitals, non_latin = _letters(_LINK.sub(" ", text) if links else text)
    digits = int(np.count_nonzero((_code_points(text) - 48) < 10))  # unsigned: '0'..'9' only
    return (
        len(text),
        links,
        max(capitals, 0) / letters if letters >= 4 else 0.0,
        digits / max(len(text), 1),
        text.count("!") + text.count("?"),
        len(_REPEAT.findall(text)),
        non_latin / max(letters, 1),
    )


class TextStatsVectorizer(TransformerMixin, BaseEstimator):
    """One indicator column per bin of each statistic in :data:`BINS`.

    Parameters
    ----------
    scale : float
        Value of an active bin; TF-IDF rows have unit length, so this sets how strongly the statistics
        count next to the n-grams under the same regularisation.
    """

    def __init__(self, scale: float = 0.3) -> None:
        self.scale = scale

    def fit(self, texts: Iterable[str], y: object = None) -> TextStatsVectorizer:
        self.n_features_out_ = int(_OFFSETS[-1])
        return self

    def vectorize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Feature indices and values of one text (one active bin per statistic)."""
        values = statistics(text)
        bins = [bisect_right(edges, value) for (_, edges), value in zip(BINS, values)]
        return _STARTS + np.array(bins, dtype=np.int64), np.full(len(BINS), float(self.scale))

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "n_features_out_")
        indices = [self.vectorize(text)[0] for text in texts]
        columns = np.concatenate(indices) if indices else np.empty(0, dtype=np.int64)
        indptr = np.arange(len(indices) + 1, dtype=np.int64) * len(BINS)
        data = np.full(len(columns), float(self.scale))
        return sp.csr_matrix((data, columns, indptr), shape=(len(indices), self.n_features_out_))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = []
        for name, edges in BINS:
            bounds = ["-inf", *map(str, edges), "inf"]
            names += [f"{name}[{low},{high})" for low, high in zip(bounds[:-1], bounds[1:])]
        return np.array(names, dtype=object)
