"""LinearScorer, the API's per-comment path, gives what the fitted pipeline gives."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.model.scorer import LinearScorer

from .helpers import HAM, SAMPLE_TEXTS, SPAM, TOXIC, fitted_pipeline

TEXTS = SAMPLE_TEXTS + HAM + SPAM + TOXIC


def test_scorer_equals_the_pipeline_heads() -> None:
    pipeline = fitted_pipeline()
    features = pipeline[:-1].transform(TEXTS)  # normalise + word and character TF-IDF (batch path)
    expected = pipeline.named_steps["heads"].predict_proba(features)
    scorer = LinearScorer(pipeline)
    assert scorer.attributes == ATTRIBUTES
    actual = np.array([scorer.probabilities(text) for text in TEXTS])
    assert actual.shape == (len(TEXTS), len(ATTRIBUTES))
    assert np.allclose(actual, expected, rtol=1e-10, atol=1e-12)
    assert np.allclose(pipeline.predict_proba(TEXTS), expected)


def test_scores_order_the_obvious_cases() -> None:
    scorer = LinearScorer(fitted_pipeline())
    spam = scorer.probabilities("Check out my channel http://spam.example/y subscribe!")
    ham = scorer.probabilities("Danke für den Beitrag, sehr hilfreich.")
    toxic = scorer.probabilities("you are an idiot")
    assert spam[0] > ham[0] and spam[0] > toxic[0]
    assert toxic[1] > ham[1] and toxic[1] > spam[1]


def test_text_without_known_ngrams_scores_the_intercepts_and_its_statistics() -> None:
    pipeline = fitted_pipeline()
    scorer = LinearScorer(pipeline)
    heads = pipeline.named_steps["heads"]
    union = pipeline.named_steps["features"]
    stats = union.named_transformers["stats"]
    names = [name for name, _ in union.transformer_list]
    offset = sum(union.named_transformers[name].n_features_out_ for name in names[: names.index("stats")])
    # "" names no spam theme: only the statistics are active beside the intercepts.
    indices, values = stats.vectorize("")
    expected = heads.intercept_ + heads.coef_[:, offset + indices] @ values
    assert np.allclose(scorer.logits(""), expected)
    assert np.allclose(scorer.probabilities(""), 1 / (1 + np.exp(-expected)))


def test_mismatched_weights_are_refused() -> None:
    pipeline = fitted_pipeline()
    heads = pipeline.named_steps["heads"]
    original = heads.coef_
    heads.coef_ = original[:, :-1]
    try:
        with pytest.raises(ValueError, match="do not match"):
            LinearScorer(pipeline)
    finally:
        heads.coef_ = original



def test_a_model_reads_marks_and_links_as_it_was_trained_to() -> None:
    """Models collapse runs of "!" and "?" and read links written without "http://" as links since their
    normalise step has the options; a model pickled before an option existed goes on reading as it was trained."""
    pipeline = fitted_pipeline()
    assert pipeline.named_steps["normalize"].kw_args == {"collapse_marks": True, "bare_links": True}
    assert LinearScorer(pipeline).features("Super!!! bit.ly/x1").normalized == "Super! URL bit.ly"
    marks_only = copy.deepcopy(pipeline)
    marks_only.named_steps["normalize"].kw_args = {"collapse_marks": True}
    assert LinearScorer(marks_only).features("Super!!! bit.ly/x1").normalized == "Super! bit.ly/x1"
    older = copy.deepcopy(pipeline)
    older.named_steps["normalize"].kw_args = None
    assert LinearScorer(older).features("Super!!! bit.ly/x1").normalized == "Super!!! bit.ly/x1"
