"""The validation split depends on each text alone: deterministic, order-free, stable as data grows."""

from __future__ import annotations

import numpy as np
import pytest

from training.split import group_key, in_validation

TEXTS = [f"comment number {i} about topic {i % 7}" for i in range(2000)]


def test_same_texts_same_split() -> None:
    first = in_validation(TEXTS, 0.2, "seed")
    assert np.array_equal(first, in_validation(list(TEXTS), 0.2, "seed"))
    assert first.dtype == bool and first.shape == (len(TEXTS),)


def test_fraction_is_roughly_kept() -> None:
    assert 0.17 < in_validation(TEXTS, 0.2, "seed").mean() < 0.23


def test_order_and_other_texts_do_not_matter() -> None:
    mask = dict(zip(TEXTS, in_validation(TEXTS, 0.2, "seed")))
    shuffled = list(reversed(TEXTS[:500])) + ["a new text", "another new one"]
    for text, held in zip(shuffled, in_validation(shuffled, 0.2, "seed")):
        if text in mask:
            assert held == mask[text]


def test_case_and_spacing_variants_land_together() -> None:
    variants = ["Check out my channel", "check  out my CHANNEL", " CHECK OUT MY channel "]
    assert len({group_key(v) for v in variants}) == 1
    for seed in ("a", "b", "c", "d", "e", "f"):
        assert len(set(in_validation(variants, 0.5, seed))) == 1


def test_seed_changes_the_split() -> None:
    assert not np.array_equal(in_validation(TEXTS, 0.2, "one"), in_validation(TEXTS, 0.2, "two"))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_must_be_a_proper_share(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        in_validation(TEXTS, fraction, "seed")
