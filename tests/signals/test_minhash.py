"""MinHash band buckets: their definition, and what they are for (near-duplicates meet, others do not)."""

from __future__ import annotations

import numpy as np

from moderation_service.model.ngrams import char_ngram_hashes
from moderation_service.signals.minhash import _MULTIPLIERS, _OFFSETS, BANDS, MIN_CHARS, ROWS, SHINGLE, band_buckets

SPAM = "Toller Beitrag, danke fürs Teilen! Ich habe hier noch mehr zum Thema gefunden: beste-kredite.example/angebot"


def reference_buckets(text: str) -> list[str]:
    """The buckets by their definition, in Python integers: per permutation the minimum of
    (a * shingle + b) mod 2**64, and per band the minima folded as ((s0 * M + s1) * M + s2) * M + s3."""
    mask, mix = 2**64 - 1, 0x9E3779B97F4A7C15
    shingles = [int(h) for h in char_ngram_hashes(" ".join(text.split()), SHINGLE, SHINGLE)]
    minima = [min((int(a) * s + int(b)) & mask for s in shingles) for a, b in zip(_MULTIPLIERS, _OFFSETS)]
    buckets = []
    for band in range(BANDS):
        value = 0
        for row in range(ROWS):
            value = (value * mix + minima[band * ROWS + row]) & mask
        buckets.append(f"{value:016x}")
    return buckets


def test_buckets_follow_their_definition() -> None:
    for text in (SPAM, "Ein ganz gewöhnlicher Kommentar zu diesem Artikel, mit ein paar Gedanken.", "😀 " * 40):
        assert band_buckets(text) == reference_buckets(text)


def test_near_copies_share_a_bucket_and_unrelated_texts_do_not() -> None:
    variant = SPAM.replace("Toller Beitrag", "Super Artikel").replace("/angebot", "/angebot-2")
    other = "Ich sehe das anders: die Pressestelle hat in dem Fall schlicht zu spät reagiert."
    assert set(band_buckets(SPAM)) & set(band_buckets(variant))
    assert not set(band_buckets(SPAM)) & set(band_buckets(other))
    buckets = band_buckets(SPAM)
    assert len(buckets) == BANDS and all(len(b) == 16 and int(b, 16) >= 0 for b in buckets)


def test_short_texts_are_not_compared() -> None:
    assert band_buckets("x" * (MIN_CHARS - 1)) == []
    assert band_buckets("Danke!   " * 3) == []  # whitespace does not count towards the length
    assert np.all([len(b) == 16 for b in band_buckets("x" * MIN_CHARS)])
