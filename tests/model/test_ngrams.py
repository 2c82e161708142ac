"""The batch transform used in training equals the per-text ``vectorize`` path used for scoring."""

from __future__ import annotations

import numpy as np
import pytest

from moderation_service.model.ngrams import (
    CharNgramVectorizer,
    WordNgramVectorizer,
    char_ngram_hashes,
    char_ngram_hashes_batch,
    word_ngrams,
)
from moderation_service.model.text import normalize

from .helpers import HAM, SAMPLE_TEXTS, SPAM, TOXIC

TRAIN = [normalize(t) for t in HAM + SPAM + TOXIC] * 2 + ["xxxx yyyy zzzz"]
TEXTS = SAMPLE_TEXTS + [normalize(t) for t in SAMPLE_TEXTS] + TRAIN


def test_word_ngrams() -> None:
    assert word_ngrams("Das ist, das IST gut", 1, 2) == ["das", "ist", "das", "ist", "gut", "das ist", "ist das",
                                                          "das ist", "ist gut"]
    assert word_ngrams("a b c", 2, 3) == ["a b", "b c", "a b c"]
    assert word_ngrams("", 1, 2) == []


@pytest.mark.parametrize(("low", "high"), [(1, 3), (2, 5), (3, 6)])
def test_batch_hashes_equal_per_text_hashes(low: int, high: int) -> None:
    hashes, docs = char_ngram_hashes_batch(TEXTS, low, high)
    for i, text in enumerate(TEXTS):
        assert np.array_equal(np.sort(hashes[docs == i]), np.sort(char_ngram_hashes(text, low, high)))


def test_hashes_cover_every_ngram_once_and_separate_lengths() -> None:
    hashes = char_ngram_hashes("abc", 1, 5)  # padded " abc ": 5 + 4 + 3 + 2 + 1 n-grams
    assert len(hashes) == 15
    assert len(np.unique(hashes)) == 14  # the padding space occurs twice
    assert len(char_ngram_hashes("", 2, 5)) == 1  # "  " only
    assert np.array_equal(char_ngram_hashes("AbC", 2, 3), char_ngram_hashes("abc", 2, 3))


@pytest.mark.parametrize(
    "vectorizer",
    [
        WordNgramVectorizer((1, 2), min_df=1),
        WordNgramVectorizer((1, 3), min_df=2, max_features=20),
        CharNgramVectorizer((2, 5), min_df=1),
        CharNgramVectorizer((1, 4), min_df=2, max_features=300, max_chars=50),
    ],
)
def test_single_text_and_batch_are_identical(vectorizer: WordNgramVectorizer | CharNgramVectorizer) -> None:
    vectorizer.fit(TRAIN)
    batch = vectorizer.transform(TEXTS)
    assert batch.shape == (len(TEXTS), vectorizer.n_features_out_)
    for i, text in enumerate(TEXTS):
        indices, values = vectorizer.vectorize(text)
        row = batch.getrow(i)
        assert np.array_equal(row.indices, indices)
        assert np.allclose(row.data, values, rtol=1e-12, atol=0)
        if len(values):
            assert np.isclose(values @ values, 1.0)


def test_tfidf_values_follow_sublinear_tf_and_smooth_idf() -> None:
    vectorizer = WordNgramVectorizer((1, 1), min_df=1).fit(["a b", "a", "c"])
    names = list(vectorizer.get_feature_names_out())
    assert names == ["a", "b", "c"]
    idf = np.log(4 / np.array([3, 2, 2])) + 1
    assert np.allclose(vectorizer.idf_, idf)
    indices, values = vectorizer.vectorize("a a b zzz")
    expected = np.array([(np.log(2) + 1) * idf[0], idf[1]])
    assert np.array_equal(indices, [0, 1])
    assert np.allclose(values, expected / np.linalg.norm(expected))


def test_document_frequency_counts_each_text_once() -> None:
    vectorizer = CharNgramVectorizer((2, 2), min_df=2).fit(["aaaa", "ab", "xy"])
    # " a", "aa" (3 times in one text) ... only n-grams found in at least two texts are kept: " a", "  "-free.
    kept = set(vectorizer.vocabulary_hashes_.tolist())
    assert kept == {int(char_ngram_hashes("a", 2, 2)[0])}  # " a" is in "aaaa" and "ab"; "aa" in one text only


def test_min_df_and_max_features_limit_the_vocabulary() -> None:
    texts = ["common rare1", "common rare2", "common other", "other"]
    assert list(WordNgramVectorizer((1, 1), min_df=2).fit(texts).get_feature_names_out()) == ["common", "other"]
    assert list(WordNgramVectorizer((1, 1), min_df=1, max_features=1).fit(texts).get_feature_names_out()) == [
        "common"
    ]


def test_empty_vocabulary_gives_empty_rows() -> None:
    vectorizer = CharNgramVectorizer((2, 3), min_df=5).fit(["ab", "cd"])
    assert vectorizer.n_features_out_ == 0
    assert vectorizer.transform(["ab", ""]).shape == (2, 0)
    assert len(vectorizer.vectorize("ab")[0]) == 0


@pytest.mark.parametrize(
    "vectorizer",
    [
        WordNgramVectorizer((1, 2), min_df=1),
        WordNgramVectorizer((2, 3), min_df=1),
        CharNgramVectorizer((2, 5), min_df=1),
    ],
)
def test_positions_in_a_comment_equal_its_vocabulary_occurrences(
    vectorizer: WordNgramVectorizer | CharNgramVectorizer,
) -> None:
    # Explanations look a comment's words up among the comment's own features; that must find exactly the
    # vocabulary occurrences that are among them. Words whose lower case is not one \w+ word included.
    vectorizer.fit(TRAIN + ["İstanbul ist schön", "1 2 halb", "http www example com x"])
    for text in TEXTS + ["İstanbul ½ https://www.example.com/x?y=1 dumme dumme Idioten"]:
        indices, _ = vectorizer.vectorize(text)
        if not len(indices):
            continue
        words = text.split() + ["İstanbul", "½", "https://www.example.com/x", "foo_bar", ""]
        owners, positions = vectorizer.positions_in(words, indices)
        docs, found = vectorizer.occurrences(words)
        among = np.isin(found, indices)
        expected = sorted(zip(docs[among].tolist(), np.searchsorted(indices, found[among]).tolist()))
        assert sorted(zip(owners.tolist(), positions.tolist())) == expected
