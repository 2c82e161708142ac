"""The scikit-learn estimators of the model that scikit-learn does not ship.

They live in the service package because unpickling an artifact imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from .text import normalize


def normalize_texts(texts: Iterable[str], collapse_marks: bool = False, bare_links: bool = False) -> list[str]:
    """Module-level so that a FunctionTransformer holding it pickles by reference; its ``kw_args`` are the
    options of :func:`normalize` the model was trained with."""
    return [normalize(text, collapse_marks, bare_links) for text in texts]


def naive_bayes_ratios(X: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Log-count ratios of feature presence in positive vs negative texts (Wang & Manning 2012, NB-LR)."""
    present = sp.csr_matrix((np.ones(X.nnz), X.indices, X.indptr), shape=X.shape)
    positive = np.asarray((y == 1).astype(np.float64) @ present).ravel() + alpha
    negative = np.asarray((y == 0).astype(np.float64) @ present).ravel() + alpha
    return np.log((positive / positive.sum()) / (negative / negative.sum()))


def _source_indicators(sources: np.ndarray, y: np.ndarray, scale: float) -> tuple[sp.csr_matrix, int]:
    """One-hot columns for the sources that carry both classes of this label."""
    mixed = sorted(s for s in np.unique(sources) if len(np.unique(y[sources == s])) == 2)
    column = {s: i for i, s in enumerate(mixed)}
    rows = np.flatnonzero(np.isin(sources, mixed))
    cols = np.array([column[s] for s in sources[rows]], dtype=np.int64)
    data = np.full(len(rows), scale)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(sources), len(mixed))), len(mixed)


def _fit_head(X, rows, y, weights, sources, C, naive_bayes, source_bias, max_iter, tol):  # type: ignore[no-untyped-def]
    """Fit one attribute's logistic regression on ``X[rows]``; return its weights and intercept.

    The row subset is this head's own copy, so the naive-Bayes scaling happens in place, and it is the only
    reference to it, so it is freed as soon as the indicator columns are appended (memory peaks here).
    """
    X = X[rows]
    ratios = naive_bayes_ratios(X, y) if naive_bayes else None
    if ratios is not None:
        X.data *= ratios[X.indices]
    n_features, n_bias = X.shape[1], 0
    if sources is not None and source_bias > 0:
        indicators, n_bias = _source_indicators(sources, y, source_bias)
        X = sp.hstack([X, indicators], format="csr")
    # A fixed seed for liblinear's coordinate order: the same rows give the same head (with n_jobs=1; see
    # training.pipeline).
    head = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=max_iter, tol=tol, random_state=0)
    head.fit(X, y, sample_weight=weights)
    del X
    coef = head.coef_.ravel()
    weights_out = coef[:n_features] * ratios if ratios is not None else coef[:n_features].copy()
    # The source columns absorb each dataset's base rate and quirks; at scoring time a comment comes from
    # none of them, so it gets their average as a typical labelled source.
    intercept = float(head.intercept_[0]) + (float(coef[n_features:].mean()) * source_bias if n_bias else 0.0)
    return weights_out, intercept


def _fit_known(X, Y, j, weights, sources, *args):  # type: ignore[no-untyped-def]
    """Fit attribute ``j`` on the rows where its label is known (the row subset is made here, one at a time)."""
    known = ~np.isnan(Y[:, j])
    return _fit_head(X, known, Y[known, j], weights[known], None if sources is None else sources[known], *args)


def _for(value: float | dict[str, float], attribute: str, default: float) -> float:
    """A parameter given for all heads (a number) or per attribute (a dict)."""
    return float(value.get(attribute, default)) if isinstance(value, dict) else float(value)


class MultiLabelLinear(ClassifierMixin, BaseEstimator):
    """One logistic regression per attribute over shared features, each trained where its label is known.

    Parameters
    ----------
    attributes : sequence of str
        Output column names, in order.
    C : float or dict
        Inverse regularisation strength, one value for all heads or one per attribute.
    naive_bayes : sequence of str
        Attributes whose head scales features by naive-Bayes log-count ratios first (NB-LR); the ratios
        are folded into the weights, so scoring stays one dot product.
    source_bias : float or dict
        Value of the per-source indicator columns added while fitting (0 disables them), for all heads or
        per attribute. They let each source's base rate and annotation quirks go into a bias of its own
        instead of the text weights.
    source_weight : dict or None
        Sample weight multiplier per source name (sources not named keep 1.0).
    max_iter : int
        Solver iterations per head.
    tol : float
        Solver tolerance (liblinear's own default for this solver is 0.1; 1e-2 gives the same ROC-AUC to
        five places as 1e-4 in half the time).
    n_jobs : int or None
        Heads fitted in parallel threads (liblinear runs without the GIL).

    ``Y`` given to :meth:`fit` is an (n_samples, n_attributes) float array where NaN marks an unknown label;
    ``sources`` names the source of every row. An attribute whose known labels are not of both classes (a
    spam-only dataset has no toxicity labels) is not trained: it is listed in ``untrained_`` and its
    probability is always 0.
    """

    def __init__(
        self,
        attributes: Sequence[str] = (),
        C: float | dict[str, float] = 1.0,
        naive_bayes: Sequence[str] = (),
        source_bias: float | dict[str, float] = 3.0,
        source_weight: dict[str, float] | None = None,
        max_iter: int = 2000,
        tol: float = 1e-2,
        n_jobs: int | None = None,
    ) -> None:
        self.attributes = attributes
        self.C = C
        self.naive_bayes = naive_bayes
        self.source_bias = source_bias
        self.source_weight = source_weight
        self.max_iter = max_iter
        self.tol = tol
        self.n_jobs = n_jobs

    def _c_for(self, attribute: str) -> float:
        return _for(self.C, attribute, 1.0)

    def _source_bias_for(self, attribute: str) -> float:
        return _for(self.source_bias, attribute, 0.0)

    def fit(self, X: Any, Y: Any, sample_weight: Any = None, sources: Any = None,
            progress: Callable[[str], None] | None = None) -> MultiLabelLinear:
        """Fit one head per attribute; ``progress`` (if given) hears of each head as it is fitted."""
        X = sp.csr_matrix(X)
        Y = np.asarray(Y, dtype=float)
        if Y.ndim != 2 or Y.shape[1] != len(self.attributes):
            raise ValueError(f"Y must have one column per attribute ({len(self.attributes)}), got {Y.shape}")
        weights = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        sources = None if sources is None else np.asarray(sources, dtype=object)
        if self.source_weight and sources is not None:
            weights = weights * np.array([self.source_weight.get(s, 1.0) for s in sources])
        trainable = [len(np.unique(Y[~np.isnan(Y[:, j]), j])) == 2 for j in range(len(self.attributes))]
        if not any(trainable):
            raise ValueError("no attribute has labelled examples of both classes: the data needs, for at least "
                             f"one of {', '.join(self.attributes)}, examples labelled 1 and examples labelled 0")
        jobs, names = [], []
        for j, attribute in enumerate(self.attributes):
            if not trainable[j]:
                continue
            names.append(attribute)
            params = (
                self._c_for(attribute), attribute in self.naive_bayes, self._source_bias_for(attribute),
                self.max_iter, self.tol,
            )
            jobs.append(delayed(_fit_known)(X, Y, j, weights, sources, *params))
        # liblinear releases the GIL: threads share X instead of copying it into worker processes.
        heads = Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(jobs)
        done = []
        for attribute, head in zip(names, heads, strict=True):
            done.append(head)
            if progress is not None:
                progress(f"{attribute} head fitted ({len(done)} of {len(jobs)})")
        results = iter(done)
        # An attribute without examples of both classes gets no head: weight 0 and an intercept of -inf, so
        # its probability is exactly 0 and it never reaches a threshold.
        fitted = [next(results) if ok else (np.zeros(X.shape[1]), -np.inf) for ok in trainable]
        self.coef_ = np.vstack([coef for coef, _ in fitted])
        self.intercept_ = np.array([intercept for _, intercept in fitted])
        self.untrained_ = tuple(a for a, ok in zip(self.attributes, trainable, strict=True) if not ok)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each attribute, shape (n_samples, n_attributes)."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X) >= 0.5).astype(int)
