"""MinHash signatures and LSH band buckets for near-duplicate texts, computed with numpy.

Two texts whose 5-character shingles overlap by a Jaccard similarity J share at least one of ``BANDS``
band buckets with probability 1 - (1 - J**ROWS)**BANDS: about 0.81 at J = 0.6, 0.998 at J = 0.8, and 0.02
at J = 0.2, so variations of one spam text meet in a bucket and unrelated comments rarely do. (16 bands
caught the same share of bench/spam_wave.py's wave as 12, at a third more hashing and Redis keys.)
"""

from __future__ import annotations

import numpy as np

from ..model.ngrams import char_ngram_hashes

SHINGLE = 5
BANDS, ROWS = 12, 4
MIN_CHARS = 40  # shorter texts ("Danke!") repeat innocently

_rng = np.random.default_rng(20261126)
_MULTIPLIERS = (_rng.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1))
_OFFSETS = _rng.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
#: Folds a band's ROWS minima into one value: ((s0 * M + s1) * M + s2) * M + s3 = s @ (M**3, M**2, M, 1),
#: modulo 2**64 (numpy's integer matrix product wraps like its multiplication).
_BAND_MIX = np.array([pow(0x9E3779B97F4A7C15, ROWS - 1 - row, 2**64) for row in range(ROWS)], dtype=np.uint64)


def band_buckets(folded_text: str) -> list[str]:
    """One bucket id per band (16 hex digits) for a folded text, or [] for a text too short to compare."""
    text = " ".join(folded_text.split())
    if len(text) < MIN_CHARS:
        return []
    shingles = char_ngram_hashes(text, SHINGLE, SHINGLE)  # repeats do not change a minimum
    # Array arithmetic on unsigned integers wraps silently (no overflow warning to silence).
    permuted = np.multiply.outer(_MULTIPLIERS, shingles)  # one row per permutation, filled in place
    permuted += _OFFSETS[:, None]
    mixed = permuted.min(axis=1).reshape(BANDS, ROWS) @ _BAND_MIX
    digits = mixed.astype(">u8").tobytes().hex()
    return [digits[start : start + 16] for start in range(0, 16 * BANDS, 16)]
