"""A validation split that depends only on each text, not on the order or the rest of the data.

A text goes to validation when a salted hash of its lower-cased normal form falls below the fraction.
Duplicates and near-identical copies (case, spacing, markup) therefore land on the same side, and adding
data later never moves an existing text between train and validation, so two models trained on growing
data can be compared on the same validation texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def group_key(normalized_text: str) -> str:
    return " ".join(normalized_text.lower().split())


def in_validation(normalized_texts: Sequence[str], fraction: float, seed: str) -> np.ndarray:
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, got {fraction}")
    limit = int(fraction * 2**64)
    salt = seed.encode("utf-8") + b"\0"
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(salt + group_key(t).encode("utf-8"), digest_size=8).digest(), "big") < limit
            for t in normalized_texts
        ),
        dtype=bool,
        count=len(normalized_texts),
    )
