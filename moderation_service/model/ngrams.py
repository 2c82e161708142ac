"""Word and character n-gram TF-IDF, fast enough to score one comment in the request path.

scikit-learn's ``TfidfVectorizer`` builds the same kind of features, but its per-n-gram Python loops make
fitting on 100k texts take minutes and each call costs a millisecond or more. Here:

* character n-grams are 64-bit hashes computed with numpy over the text's code points (no Python loop per
  n-gram), and the vocabulary is a sorted array of kept hashes looked up with ``searchsorted``;
* word n-grams (few per comment) use a plain dict vocabulary.

Two paths compute the same features: :meth:`~_TfidfVectorizer.vectorize` turns one text into its features
(the scoring hot path, used for every comment the service scores), and :meth:`~_TfidfVectorizer.transform`
does a whole batch at once with array operations (training and evaluation). They find the same n-grams and
counts; the values agree to floating-point rounding (the tests check ``allclose``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

_WORD = re.compile(r"\w+")
_EMPTY_INDICES = np.empty(0, dtype=np.int64)
_MISSING = itertools.repeat(-1)  # default for map(dict.get, grams, _MISSING)
_EMPTY_VALUES = np.empty(0, dtype=np.float64)
# The rolling hash's odd 64-bit multiplier and its seed term (seed * P).
_PRIME = np.uint64(0x100000001B3)
_SEED_TERM = np.uint64((0x9E3779B97F4A7C15 * 0x100000001B3) % 2**64)
#: Texts per array operation in batch transforms: bounds the temporary memory of long texts.
BATCH = 4096


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """Lower-case word n-grams of ``text``, the words of one n-gram joined by a space."""
    words = _WORD.findall(text.lower())
    grams = words if low == 1 else []
    for n in range(max(low, 2), high + 1):
        grams = grams + [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return grams


def _code_points(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate (valid in JSON, not in UTF-8) is one code point like any other.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def char_ngram_hashes(text: str, low: int, high: int) -> np.ndarray:
    """64-bit hashes of the lower-case character n-grams of ``text`` (padded: word edges count).

    The hash of an n-gram is ``seed * P**n + sum(c_k * P**(n-1-k))`` modulo 2**64, built incrementally
    from the (n-1)-gram hashes: two numpy operations per n, however long the text. The seed term keeps
    n-grams of different lengths apart.
    """
    points = _code_points(f" {text.lower()} ")
    parts = []
    with np.errstate(over="ignore"):
        hashed = points + _SEED_TERM
        for n in range(2, high + 1):
            if len(hashed) < 2:
                break
            hashed = hashed[:-1] * _PRIME + points[n - 1 :]
            if n >= low:
                parts.append(hashed)
    if low == 1:
        parts.insert(0, points + _SEED_TERM)
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def char_ngram_hashes_batch(texts: Sequence[str], low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`char_ngram_hashes` of many texts at once: the hashes and the position of each one's text.

    The padded texts are joined into one code-point array and hashed in one pass per n; an n-gram that
    would run past the end of its text into the next one is dropped.
    """
    padded = [f" {text.lower()} " for text in texts]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    points = _code_points("".join(padded))
    docs = np.repeat(np.arange(len(padded), dtype=np.int64), lengths)
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(points))  # code points left in the text
    hashes, owners = [], []
    if low == 1:
        hashes.append(points + _SEED_TERM)
        owners.append(docs)
    with np.errstate(over="ignore"):
        hashed = points + _SEED_TERM
        for n in range(2, high + 1):
            hashed = hashed[:-1] * _PRIME + points[n - 1 :]
            if n >= low:
                inside = room[: len(hashed)] >= n
                hashes.append(hashed[inside])
                owners.append(docs[: len(hashed)][inside])
    if not hashes:
        return np.empty(0, dtype=np.uint64), _EMPTY_INDICES
    return np.concatenate(hashes), np.concatenate(owners)


class _TfidfVectorizer(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF, smooth IDF and L2 norm as scikit-learn computes them; subclasses find the n-grams."""

    ngram_range: tuple[int, int]
    min_df: int
    max_features: int | None
    max_chars: int

    def _document_frequencies(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        raise NotImplementedError

    def _indices(self, text: str) -> np.ndarray:
        """Vocabulary indices of the n-grams of ``text`` (with repeats)."""
        raise NotImplementedError

    def occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary indices of the n-grams of each text (with repeats), and the position of each one's text."""
        raise NotImplementedError

    def positions_in(self, texts: Sequence[str], indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The n-grams of ``texts`` that are among ``indices`` (one comment's features: distinct, ascending,
        not empty): the position of each one's text, and its position in ``indices``.

        Explanations use it to find the comment's features inside each of its words.
        """
        raise NotImplementedError

    def _set_vocabulary(self, keys: np.ndarray) -> None:
        raise NotImplementedError

    def fit(self, texts: Iterable[str], y: object = None) -> _TfidfVectorizer:
        texts = [text[: self.max_chars] for text in texts]
        keys, counts, n_docs = self._document_frequencies(texts)
        keep = counts >= self.min_df
        keys, counts = keys[keep], counts[keep]
        if self.max_features is not None and len(keys) > self.max_features:
            order = np.argsort(-counts, kind="stable")[: self.max_features]
            order.sort()
            keys, counts = keys[order], counts[order]
        self._set_vocabulary(keys)
        self.idf_ = np.log((1.0 + n_docs) / (1.0 + counts.astype(np.float64))) + 1.0
        self.n_features_out_ = len(keys)
        return self

    def _counted_indices(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Distinct vocabulary indices of the n-grams of ``text``, ascending, and how often each occurs."""
        return _count(self._indices(text))

    def vectorize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Feature indices and TF-IDF values of one text (the hot path)."""
        indices, tf = self._counted_indices(text[: self.max_chars])
        if not len(indices):
            return _EMPTY_INDICES, _EMPTY_VALUES
        values = (np.log(tf) + 1.0) * self.idf_[indices]
        values /= math.sqrt(float(values @ values))
        return indices, values

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """TF-IDF rows of many texts, computed in batches (equal to :meth:`vectorize` of each text)."""
        check_is_fitted(self, "idf_")
        blocks = [sp.csr_matrix((0, self.n_features_out_))]
        for chunk in _chunks(texts, BATCH):
            docs, indices = self.occurrences([text[: self.max_chars] for text in chunk])
            blocks.append(self._rows(docs, indices, len(chunk)))
        return sp.vstack(blocks, format="csr")

    def _rows(self, docs: np.ndarray, indices: np.ndarray, n_docs: int) -> sp.csr_matrix:
        """CSR rows from (text, vocabulary index) occurrences: sublinear TF times IDF, L2-normalised per row."""
        width = max(self.n_features_out_, 1)
        cells, tf = _count(docs * width + indices)
        rows, columns = np.divmod(cells, width)
        values = (np.log(tf) + 1.0) * self.idf_[columns]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_docs))
        values /= norms[rows]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_docs))))
        return sp.csr_matrix((values, columns, indptr), shape=(n_docs, self.n_features_out_))


class CharNgramVectorizer(_TfidfVectorizer):
    """TF-IDF over hashed character n-grams.

    Parameters
    ----------
    ngram_range : (int, int)
        Smallest and largest n.
    min_df : int
        Keep n-grams found in at least this many texts.
    max_features : int or None
        Keep at most this many n-grams, those found in the most texts.
    max_chars : int
        Read only the first ``max_chars`` characters, which bounds the cost of a very long text.
    """

    def __init__(
        self, ngram_range: tuple[int, int] = (2, 5), min_df: int = 3, max_features: int | None = None,
        max_chars: int = 5000,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.max_chars = max_chars

    def _document_frequencies(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        chunk_keys, chunk_counts = [np.empty(0, np.uint64)], [np.empty(0, np.int64)]
        for start in range(0, len(texts), BATCH):
            hashes, docs = char_ngram_hashes_batch(texts[start : start + BATCH], *self.ngram_range)
            order = np.lexsort((docs, hashes))
            hashes, docs = hashes[order], docs[order]
            # Each distinct (hash, text) pair counts once: the text's document frequency contribution.
            first = np.concatenate(([True], (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])))
            keys, counts = _count(hashes[first])
            chunk_keys.append(keys)
            chunk_counts.append(counts)
        keys, inverse = np.unique(np.concatenate(chunk_keys), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate(chunk_counts), minlength=len(keys))
        return keys, counts.astype(np.int64), len(texts)

    def _set_vocabulary(self, keys: np.ndarray) -> None:
        self.vocabulary_hashes_ = keys  # sorted

    def _lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary positions of ``hashes`` and which of them are in the vocabulary.

        Binary search: sorted ``hashes`` (as :meth:`_counted_indices` passes them) share most of their search
        paths, which stay in the CPU cache; a hash table was slower here (one cache miss per n-gram).
        """
        vocabulary = self.vocabulary_hashes_
        if not len(vocabulary):
            return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=bool)
        positions = np.searchsorted(vocabulary, hashes)
        np.minimum(positions, len(vocabulary) - 1, out=positions)
        return positions, vocabulary[positions] == hashes

    def _indices(self, text: str) -> np.ndarray:
        positions, found = self._lookup(char_ngram_hashes(text, *self.ngram_range))
        return positions[found]

    def _counted_indices(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        # Count repeats on the hashes first: fewer lookups, and the positions come out sorted.
        hashes, counts = _count(char_ngram_hashes(text, *self.ngram_range))
        positions, found = self._lookup(hashes)
        return positions[found], counts[found]

    def occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        hashes, docs = char_ngram_hashes_batch(texts, *self.ngram_range)
        positions, found = self._lookup(hashes)
        return docs[found], positions[found]

    def positions_in(self, texts: Sequence[str], indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Searched among the comment's own n-gram hashes (ascending, as ``indices`` are), not the whole
        # vocabulary: a few hundred entries that stay in the CPU cache.
        hashes, docs = char_ngram_hashes_batch(texts, *self.ngram_range)
        own = self.vocabulary_hashes_[indices]
        position = np.minimum(np.searchsorted(own, hashes), len(own) - 1)
        present = own[position] == hashes
        return docs[present], position[present]


class WordNgramVectorizer(_TfidfVectorizer):
    """TF-IDF over word n-grams (``\\w+`` tokens, lower-cased).

    Parameters are those of :class:`CharNgramVectorizer`.
    """

    def __init__(
        self, ngram_range: tuple[int, int] = (1, 2), min_df: int = 2, max_features: int | None = None,
        max_chars: int = 5000,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.max_chars = max_chars

    def _document_frequencies(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        low, high = self.ngram_range
        df = Counter(itertools.chain.from_iterable(set(word_ngrams(text, low, high)) for text in texts))
        # Dropping rare n-grams before sorting saves most of the work; fit() applies min_df again.
        grams = sorted(gram for gram, count in df.items() if count >= self.min_df)
        return np.array(grams, dtype=object), np.array([df[g] for g in grams], dtype=np.int64), len(texts)

    def _set_vocabulary(self, keys: np.ndarray) -> None:
        self.vocabulary_ = {gram: index for index, gram in enumerate(keys.tolist())}

    def _indices(self, text: str) -> np.ndarray:
        get = self.vocabulary_.get
        grams = word_ngrams(text, *self.ngram_range)
        found = np.fromiter(map(get, grams, _MISSING), dtype=np.int64, count=len(grams))
        return found[found >= 0]

    def occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        get = self.vocabulary_.get
        per_text = [word_ngrams(text, *self.ngram_range) for text in texts]
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        grams = itertools.chain.from_iterable(per_text)
        found = np.fromiter(map(get, grams, _MISSING), dtype=np.int64, count=int(lengths.sum()))
        docs = np.repeat(np.arange(len(per_text), dtype=np.int64), lengths)
        keep = found >= 0
        return docs[keep], found[keep]

    def positions_in(self, texts: Sequence[str], indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Explanations pass single words: their only n-gram is the lower-cased word itself.
        low, high = self.ngram_range
        get = self.vocabulary_.get
        where = dict(zip(indices.tolist(), range(len(indices)))).get
        owners, positions = [], []
        for owner, text in enumerate(texts):
            lowered = text.lower()
            if _WORD.fullmatch(lowered):
                grams: list[str] = [lowered] if low == 1 else []
            else:
                grams = word_ngrams(text, low, high)
            for gram in grams:
                position = where(get(gram, -1))
                if position is not None:
                    owners.append(owner)
                    positions.append(position)
        return np.array(owners, dtype=np.int64), np.array(positions, dtype=np.int64)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)


def _count(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and how often each occurs (``np.unique(..., return_counts=True)``, without its overhead)."""
    if not len(values):
        return values, _EMPTY_INDICES
    values = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    counts = np.diff(np.append(starts, len(values)))
    return values[starts], counts


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
