"""Which words drove a score: per-word contributions from the linear model's weights, with offsets.

A head's logit is ``intercept + sum_f value_f * weight_f`` over the comment's features (TF-IDF of character
and word n-grams). Each word of the comment (a URL counts as one word) is credited with the features found
inside it: for a feature that occurs in several words, each occurrence gets an equal share of
``value_f * weight_f``. N-grams that span two words (word bigrams, characters across a space) and the text
statistics are not credited to any word, so the credits of all words add up to most, not all, of the logit.
A spam theme (:mod:`.spam_themes`) is credited to the words its terms cover, in equal shares per occurrence.

The offsets are code-point offsets into the comment's text as submitted (Python string indices), which the
moderator UI uses to highlight the words.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..links import BARE_LINK, may_hold_bare_link
from .ngrams import _TfidfVectorizer
from .spam_themes import SpamThemeVectorizer
from .text import normalize

# Words and links (also those written without "http://", as the model reads them), found in the submitted text
# (before normalisation) so that offsets point into it. A word may hold the symbols that spam writes for
# letters ("gr@tis", "ca$ino"): one word for the moderator, not two.
_SCHEME_LINK, _WORD = r"(?:https?://|www\.)[^\s<>\"']+", r"\w+(?:[@$€|]\w+)*"
_TOKEN = re.compile(f"{_SCHEME_LINK}|{_WORD}", re.IGNORECASE)
_TOKEN_OR_BARE_LINK = re.compile(f"{_SCHEME_LINK}|{BARE_LINK.pattern}|{_WORD}", re.IGNORECASE)
#: Words read per comment: bounds the cost of explaining a very long text.
MAX_TOKENS = 400
RELATIVE_MINIMUM = 0.2


@dataclass(frozen=True, slots=True)
class Features:
    """One comment as the model sees it: per feature block (vectorizer, first column, indices, values).

    The indices of a block are ascending and distinct.
    """

    text: str
    normalized: str
    blocks: tuple[tuple[Any, int, np.ndarray, np.ndarray], ...]


@dataclass(frozen=True, slots=True)
class Phrase:
    """A word of the comment and how much it moved one score's log-odds (positive: towards the attribute)."""

    text: str
    start: int
    end: int
    weight: float

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end, "weight": round(self.weight, 3)}


def _form(word: str, read: Callable[[str], str]) -> str:
    """A word as the model's normalisation ``read`` leaves it: for ``\\w+`` only the compatibility forms change."""
    return read(word) if not word.isalnum() else unicodedata.normalize("NFKC", word)


def word_contributions(
    features: Features, weights: np.ndarray, columns: Sequence[int], read: Callable[[str], str] = normalize
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The words of the comment (start, end) and a (words x columns) array of their log-odds credits.

    ``weights`` is the scorer's (feature x attribute) matrix, ``columns`` the attributes to explain and
    ``read`` the model's normalisation (a link word reads as its ``URL host`` form only where the model
    reads links so).
    """
    text = features.text
    pattern = _TOKEN_OR_BARE_LINK if may_hold_bare_link(text) else _TOKEN
    tokens = [match.span() for match in itertools.islice(pattern.finditer(text), MAX_TOKENS)]
    credits = np.zeros((len(tokens), len(columns)))
    if not tokens:
        return tokens, credits
    forms = [_form(text[start:end], read) for start, end in tokens]
    for vectorizer, offset, indices, values in features.blocks:
        if isinstance(vectorizer, SpamThemeVectorizer) and len(indices):
            _credit_themes(text, tokens, weights[indices + offset][:, columns] * values[:, None], indices, credits,
                           vectorizer)
        if not isinstance(vectorizer, _TfidfVectorizer) or not len(indices):
            continue
        owners, position = vectorizer.positions_in(forms, indices)
        shares = values[position] / np.bincount(position, minlength=len(indices))[position]
        rows = weights[indices[position] + offset][:, columns] * shares[:, None]
        for j in range(len(columns)):
            credits[:, j] += np.bincount(owners, weights=rows[:, j], minlength=len(tokens))
    return tokens, credits


def _credit_themes(text: str, tokens: Sequence[tuple[int, int]], contributions: np.ndarray, themes: np.ndarray,
                   credits: np.ndarray, vectorizer: SpamThemeVectorizer) -> None:
    """Add each theme's contribution (one row per theme in ``themes``, the comment's theme features) to the
    words its terms cover."""
    starts = np.array([start for start, _ in tokens])
    ends = np.array([end for _, end in tokens])
    spans = vectorizer.spans(text[: ends[-1]])  # up to the last word read (MAX_TOKENS)
    for theme, contribution in zip(themes.tolist(), contributions):
        found = spans.get(theme, [])
        for start, end in found:
            covered = np.flatnonzero((starts < end) & (ends > start))
            if len(covered):
                credits[covered] += contribution / (len(found) * len(covered))


def top_phrases(
    text: str, tokens: Sequence[tuple[int, int]], credits: np.ndarray, top: int, minimum: float = 0.05
) -> list[list[Phrase]]:
    """For each column of ``credits``: the ``top`` words with the largest positive credit (at least
    ``minimum``, and at least ``RELATIVE_MINIMUM`` of the strongest word's), strongest first.

    A word that occurs more than once is listed once, at its first occurrence, with its credits summed.
    """
    groups: list[int] = []  # per token: which distinct word it is
    leaders: list[int] = []  # per distinct word: its first token
    seen: dict[str, int] = {}
    for position, (start, end) in enumerate(tokens):
        key = text[start:end].casefold()
        group = seen.get(key)
        if group is None:
            group = seen[key] = len(leaders)
            leaders.append(position)
        groups.append(group)
    result = []
    for column in credits.T:
        summed = np.bincount(groups, weights=column, minlength=len(leaders))
        best = np.argsort(-summed, kind="stable")[:top]  # ties: the earlier word first
        ranked = [(tokens[leaders[group]], float(summed[group])) for group in best if summed[group] >= minimum]
        # Words that moved the score by less than a fifth of the strongest one explain nothing worth marking.
        result.append([
            Phrase(text[start:end], start, end, weight)
            for (start, end), weight in ranked if weight >= ranked[0][1] * RELATIVE_MINIMUM
        ])
    return result
