"""Does Coral's edit likeness tell an edit from another comment, and how long does a hostile edit take?

    python bench/coral_edit_likeness.py [--pairs 300] [--seed 7]

Coral names no comment in an EDIT: the service compares it with the user's latest comments in the thread
(:func:`moderation_service.api.coral.likeness`, at least ``EDIT_LIKENESS`` alike). Prints, for pairs of
unrelated GermEval 2018 tweets (one tweet, and fifteen joined: about 2,000 characters) and for edits of them
(typos, a tweet added, words inserted, 40 % cut), the 5th, 35th, 65th and 95th percentiles, the maximum and
the minimum of the likeness and of difflib's ratio (used before 2026-11-28), and the share of pairs at least
``EDIT_LIKENESS`` alike; then the time both take for one
comparison of 2,000 distinct characters, reordered (a commenter's text, difflib's worst case).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation_service.api.coral import EDIT_LIKENESS, LIKENESS_CHARS, likeness  # noqa: E402

TWEETS = ROOT / "data" / "germeval2018" / "germeval2018.training.txt"


def difflib_ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a[:LIKENESS_CHARS], b[:LIKENESS_CHARS]).ratio()


def edited(rng: random.Random, text: str, tweets: list[str]) -> str:
    kind = rng.random()
    if kind < 0.3:  # typos: one character in 40 replaced
        chars = list(text)
        for _ in range(max(1, len(chars) // 40)):
            chars[rng.randrange(len(chars))] = rng.choice("abcdefghij ")
        return "".join(chars)
    if kind < 0.6:  # a sentence added
        return f"{text} {rng.choice(tweets)}"
    words = text.split()
    if kind < 0.8:  # words inserted
        at = rng.randrange(len(words))
        return " ".join(words[:at] + rng.choice(tweets).split()[:8] + words[at:])
    return " ".join(words[:max(1, int(len(words) * 0.6))])  # 40 % cut


def summary(values: list[float]) -> str:
    quantiles = statistics.quantiles(values, n=20)[::6]
    above = sum(v >= EDIT_LIKENESS for v in values) / len(values)
    return " ".join(f"{v:.2f}" for v in (*quantiles, max(values), min(values))) + f" ({above:.0%} at the threshold)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tweets = [line.split("\t")[0] for line in TWEETS.read_text(encoding="utf-8").splitlines() if line.strip()]
    measures: dict[str, Callable[[str, str], float]] = {"likeness": likeness, "difflib": difflib_ratio}
    print(f"percentiles 5 35 65 95, max, min (and the share at least {EDIT_LIKENESS} alike)")
    for joined in (1, 15):
        texts = [(" ".join(rng.sample(tweets, joined)), " ".join(rng.sample(tweets, joined)))
                 for _ in range(args.pairs)]
        edits = [(a, edited(rng, a, tweets)) for a, _ in texts]
        for name, measure in measures.items():
            print(f"{joined:2d} tweet(s) {name:8s} unrelated {summary([measure(a, b) for a, b in texts])}"
                  f"   edits {summary([measure(a, b) for a, b in edits])}")
    n, first = LIKENESS_CHARS, 0x4E00
    stored = "".join(chr(first + i) for i in range(n))
    hostile = "".join(chr(first + (i % 2) * (n // 2) + i // 2) for i in range(n))
    for name, measure in measures.items():
        started = time.perf_counter()
        measure(stored, hostile)
        print(f"hostile edit, {name}: {1000 * (time.perf_counter() - started):.1f} ms per comparison")


if __name__ == "__main__":
    main()
