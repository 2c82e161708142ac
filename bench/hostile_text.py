"""How long does every step of the request path take to read a comment built to make patterns backtrack?

    python bench/hostile_text.py [--model models/<version>] [--length 20000]

``tests/test_hostile_text.py`` checks that the work grows linearly with the text (counted in this process's
CPU time at two lengths, not against a clock); the time itself is measured here. Prints, for each of the
test's hostile texts (a unit repeated to ``--length`` characters, by default the longest comment accepted),
the wall-clock time of the steps the test runs (the model's scores and explanation, the stateless signals,
the near-duplicate buckets, the language), the fastest of three runs, and how many times that of an eighth
of the text it is (8 for linear work, 64 for backtracking from each position; the fixed costs make it less).
Until 2026-11-27 the worst (16,000 characters of ``<a href=``) took 34 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.comments import add_model_argument, chosen_model  # noqa: E402
from moderation_service.comments import Comment  # noqa: E402
from moderation_service.language import detect  # noqa: E402
from moderation_service.model.artifact import Model  # noqa: E402
from moderation_service.signals.config import SignalConfig  # noqa: E402
from moderation_service.signals.minhash import band_buckets  # noqa: E402
from moderation_service.signals.stateless import stateless_hits  # noqa: E402
from moderation_service.signals.textfold import fold  # noqa: E402

LENGTH = 20_000  # the default MODERATION_MAX_CONTENT_CHARS
#: Texts that made a pattern backtrack, or that would (a unit repeated, see :func:`hostile`).
UNITS = ["<a href=", "<a ", '<a href="x', "<a" + " href=x" * 3, "1.", "1,", "€1", "1 €", "k o ", "a-", "www.",
         "http://", "<", "&", "&#", "[url=", "…", "free ", "Besuchen Sie ", "a.", "a.b-", "x.com/", "x.com ",
         "a" * 70 + "."]


def hostile(unit: str, length: int = LENGTH) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def path_of(model: Model) -> Callable[[str], None]:
    """The steps ``tests/test_hostile_text.py`` runs on a comment, as one call."""
    config = SignalConfig(language_serve=("de", "en"))

    def read(text: str) -> None:
        _, features = model.assess(text)
        model.explain(features, ["spam", "toxicity"])
        stateless_hits(Comment(site_id="s", content=text, author_name=text[:500]), config, datetime.now(UTC))
        band_buckets(fold(text).text)
        detect(text)

    return read


def fastest(read: Callable[[str], object], text: str, clock: Callable[[], float] = time.perf_counter) -> float:
    """The least of three runs of ``read(text)`` by ``clock`` (a run the machine slowed by other means than the
    text, say a cache another process emptied, does not count)."""
    spent = []
    for _ in range(3):
        started = clock()
        read(text)
        spent.append(clock() - started)
    return min(spent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_argument(parser)
    parser.add_argument("--length", type=int, default=LENGTH)
    args = parser.parse_args()
    model = chosen_model(args.model)
    if model is None:
        return 1
    read = path_of(model)
    print(f"{'unit':<16} {'ms':>8} {'x eighth':>9}")
    for unit in UNITS:
        whole = fastest(read, hostile(unit, args.length))
        eighth = fastest(read, hostile(unit, args.length // 8))
        print(f"{unit[:14]!r:<16} {whole * 1000:8.1f} {whole / eighth:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
