"""Binned text statistics: one active bin per statistic, the same alone and in a batch."""

from __future__ import annotations

import numpy as np

from moderation_service.model.stats import BINS, TextStatsVectorizer, statistics
from moderation_service.model.text import normalize

from .helpers import SAMPLE_TEXTS


def active(vectorizer: TextStatsVectorizer, text: str) -> dict[str, str]:
    names = vectorizer.get_feature_names_out()
    indices, _ = vectorizer.vectorize(normalize(text))
    return {name.split("[")[0]: name.split("[")[1] for name in names[indices]}


def test_statistics_of_a_spammy_text() -> None:
    text = normalize("CHECK OUT http://a.example/1 AND http://b.example/2 NOW!!! 100% FREE 12345")
    chars, links, capitals, digits, marks, repeats, non_latin = statistics(text)
    assert (chars, links, marks, repeats, non_latin) == (len(text), 2, 3, 0, 0.0)
    assert capitals == 1.0  # the URL tokens do not count as shouting
    assert digits == 8 / len(text)


def test_bins() -> None:
    vectorizer = TextStatsVectorizer().fit([])
    assert vectorizer.n_features_out_ == sum(len(edges) + 1 for _, edges in BINS)
    assert active(vectorizer, "Ok") == {
        "chars": "-inf,12)", "links": "-inf,1)", "capitals_share": "-inf,0.05)", "digits_share": "-inf,0.005)",
        "marks": "-inf,1)", "repeats": "-inf,1)", "non_latin_share": "-inf,0.02)",
    }
    shouting = active(vectorizer, "WARUM SAGT DAS KEINER?? Soooo schlimm http://x.example")
    assert shouting["capitals_share"] == "0.5,0.8)" and shouting["links"] == "1,2)"
    assert shouting["marks"] == "1,3)" and shouting["repeats"] == "1,inf)"
    assert active(vectorizer, "Привет, как дела? Всё хорошо.")["non_latin_share"] == "0.3,inf)"


def test_batch_equals_single_texts() -> None:
    vectorizer = TextStatsVectorizer(scale=0.5).fit([])
    texts = [normalize(t) for t in SAMPLE_TEXTS] + ["Straße GROß ǅ İ"]
    batch = vectorizer.transform(texts)
    assert batch.shape == (len(texts), vectorizer.n_features_out_)
    for i, text in enumerate(texts):
        indices, values = vectorizer.vectorize(text)
        assert len(indices) == len(BINS)
        assert np.array_equal(batch.getrow(i).indices, indices)
        assert np.array_equal(batch.getrow(i).data, values)
        assert np.all(values == 0.5)
