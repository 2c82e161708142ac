"""MultiLabelLinear: one logistic regression per attribute, trained where its label is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from moderation_service.model.estimators import MultiLabelLinear, naive_bayes_ratios

NAN = np.nan


def toy(n: int = 200, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = sp.random(n, 30, density=0.3, format="csr", random_state=seed)
    y0 = (X[:, 0].toarray().ravel() > 0).astype(float)
    y1 = (X[:, 1].toarray().ravel() > 0).astype(float)
    y1[rng.random(n) < 0.3] = NAN  # unknown labels
    sources = np.where(np.arange(n) % 2 == 0, "a", "b").astype(object)
    return X, np.column_stack([y0, y1]), sources


def test_heads_learn_their_own_feature_and_probabilities_match_the_logistic() -> None:
    X, Y, _ = toy()
    model = MultiLabelLinear(attributes=("first", "second"), C=10.0, n_jobs=2).fit(X, Y)
    assert model.coef_.shape == (2, 30) and model.intercept_.shape == (2,)
    assert np.argmax(model.coef_[0]) == 0 and np.argmax(model.coef_[1]) == 1
    P = model.predict_proba(X)
    assert np.allclose(P, 1 / (1 + np.exp(-(X @ model.coef_.T + model.intercept_))))
    assert np.array_equal(model.predict(X), (P >= 0.5).astype(int))


def test_unknown_labels_are_left_out_of_a_head() -> None:
    X, Y, _ = toy()
    model = MultiLabelLinear(attributes=("first", "second"), C=1.0, source_bias=0.0, tol=1e-6).fit(X, Y)
    known = ~np.isnan(Y[:, 1])
    alone = LogisticRegression(C=1.0, solver="liblinear", dual=True, tol=1e-6, max_iter=2000)
    alone.fit(X[known], Y[known, 1])
    assert np.allclose(model.coef_[1], alone.coef_.ravel(), atol=1e-5)


def test_naive_bayes_scaling_is_folded_into_the_weights() -> None:
    X, Y, _ = toy()
    model = MultiLabelLinear(attributes=("first", "second"), naive_bayes=("first",), source_bias=0.0, tol=1e-6)
    model.fit(X, Y)
    ratios = naive_bayes_ratios(X, Y[:, 0])
    scaled = LogisticRegression(C=1.0, solver="liblinear", dual=True, tol=1e-6, max_iter=2000)
    scaled.fit(X @ sp.diags(ratios), Y[:, 0])
    assert np.allclose(model.coef_[0], scaled.coef_.ravel() * ratios, atol=1e-5)


def test_naive_bayes_ratios() -> None:
    X = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]]))
    ratios = naive_bayes_ratios(X, np.array([1, 1, 0]))
    # presence counts + 1: positive (3, 1) of 4, negative (1, 2) of 3
    assert np.allclose(ratios, np.log([(3 / 4) / (1 / 3), (1 / 4) / (2 / 3)]))


def test_source_indicators_fold_their_average_into_the_intercept() -> None:
    X, Y, sources = toy()
    Y[:, 0][sources == "b"] = 1.0 - (X[sources == "b", 2].toarray().ravel() > 0)  # b: another rule, other base rate
    model = MultiLabelLinear(attributes=("first", "second"), source_bias=3.0).fit(X, Y, sources=sources)
    plain = MultiLabelLinear(attributes=("first", "second"), source_bias=0.0).fit(X, Y, sources=sources)
    assert not np.allclose(model.intercept_, plain.intercept_)
    assert model.coef_.shape == plain.coef_.shape == (2, 30)  # no indicator columns at scoring time


def test_c_per_attribute() -> None:
    X, Y, _ = toy()
    strong = MultiLabelLinear(attributes=("first", "second"), C={"first": 100.0, "second": 0.01}).fit(X, Y)
    assert np.abs(strong.coef_[0]).sum() > 10 * np.abs(strong.coef_[1]).sum()


def test_sample_weights_change_the_fit() -> None:
    X, Y, _ = toy()
    weights = np.where(Y[:, 0] == 1, 5.0, 1.0)
    plain = MultiLabelLinear(attributes=("first", "second")).fit(X, Y)
    weighted = MultiLabelLinear(attributes=("first", "second")).fit(X, Y, sample_weight=weights)
    assert weighted.intercept_[0] > plain.intercept_[0]


def test_an_attribute_without_both_classes_is_not_trained_and_scores_0() -> None:
    X, Y, _ = toy()
    Y[:, 1] = np.where(np.isnan(Y[:, 1]), NAN, 0.0)
    heads = MultiLabelLinear(attributes=("first", "second")).fit(X, Y)
    alone = MultiLabelLinear(attributes=("first",)).fit(X, Y[:, :1])
    assert heads.untrained_ == ("second",) and alone.untrained_ == ()
    probabilities = heads.predict_proba(X)
    assert np.array_equal(probabilities[:, 1], np.zeros(X.shape[0]))
    assert np.allclose(probabilities[:, 0], alone.predict_proba(X)[:, 0], atol=1e-3)  # liblinear: tol 1e-2


def test_data_without_any_trainable_attribute_is_refused() -> None:
    X, Y, _ = toy()
    Y[:, 0] = 1.0
    Y[:, 1] = NAN
    with pytest.raises(ValueError, match="no attribute has labelled examples of both classes"):
        MultiLabelLinear(attributes=("first", "second")).fit(X, Y)


def test_y_must_have_one_column_per_attribute() -> None:
    X, Y, _ = toy()
    with pytest.raises(ValueError, match="one column per attribute"):
        MultiLabelLinear(attributes=("only",)).fit(X, Y)
