"""Scoring one comment in well under a millisecond.

:class:`LinearScorer` is compiled from a fitted pipeline when an artifact loads. It walks the same steps as
``pipeline.predict_proba`` (normalise, vectorize, dot product, logistic) for one text, without scikit-learn's
per-call validation and sparse-matrix construction, which cost more than the arithmetic itself. Batch
scoring calls the same method per text, so the API and the ``score`` command give identical numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.pipeline import Pipeline

from .estimators import MultiLabelLinear
from .explain import Features, Phrase, top_phrases, word_contributions
from .ngrams import _TfidfVectorizer
from .spam_themes import SpamThemeVectorizer
from .stats import TextStatsVectorizer
from .text import normalize


class LinearScorer:
    def __init__(self, pipeline: Pipeline) -> None:
        heads: MultiLabelLinear = pipeline.named_steps["heads"]
        union = pipeline.named_steps["features"]
        self.attributes: tuple[str, ...] = tuple(heads.attributes)
        # The normalise step's options as the model was trained (none for models from before they existed).
        options = pipeline.named_steps["normalize"].kw_args or {}
        self._normalize: Callable[[str], str] = functools.partial(normalize, **options) if options else normalize
        blocks: list[tuple[_TfidfVectorizer | TextStatsVectorizer | SpamThemeVectorizer, int]] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            if isinstance(vectorizer, str):  # "drop"
                continue
            blocks.append((vectorizer, offset))
            offset += vectorizer.n_features_out_
        if offset != heads.coef_.shape[1]:
            raise ValueError(f"features ({offset}) and head weights ({heads.coef_.shape[1]}) do not match")
        self._blocks = blocks
        # Row-major (feature, attribute): one gather per comment fetches all attributes' weights.
        self._weights = np.ascontiguousarray(heads.coef_.T)
        self._intercepts = heads.intercept_.astype(np.float64)

    def features(self, text: str) -> Features:
        """Normalise and vectorize one comment (the features its scores and its explanation share)."""
        normalized = self._normalize(text)
        blocks = tuple((vectorizer, offset, *vectorizer.vectorize(normalized)) for vectorizer, offset in self._blocks)
        return Features(text, normalized, blocks)

    def logits_of(self, features: Features) -> np.ndarray:
        logits = self._intercepts.copy()
        for _, offset, indices, values in features.blocks:
            if len(indices):
                logits += values @ self._weights[indices + offset]
        return logits

    def logits(self, text: str) -> np.ndarray:
        return self.logits_of(self.features(text))

    def probabilities_of(self, features: Features) -> np.ndarray:
        """The probability of every attribute, in the order of :attr:`attributes`."""
        return 1.0 / (1.0 + np.exp(-self.logits_of(features)))

    def probabilities(self, text: str) -> np.ndarray:
        return self.probabilities_of(self.features(text))

    def explain(self, features: Features, attributes: Sequence[str], top: int = 5) -> dict[str, list[Phrase]]:
        """The words of the comment that raised each of ``attributes`` most (see :mod:`.explain`)."""
        columns = [self.attributes.index(name) for name in attributes]
        tokens, credits = word_contributions(features, self._weights, columns, self._normalize)
        return dict(zip(attributes, top_phrases(features.text, tokens, credits, top)))
