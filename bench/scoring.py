"""CPU time per comment of the in-process steps of a decision, over the realistic comment mix.

    python bench/scoring.py [--model models/<version>] [--comments 3000] [--repeat 3]

Times, per comment (process CPU time, the best of ``--repeat`` passes): normalising, each n-gram block,
scoring (``Model.assess``: normalise, vectorize, all heads), explaining two scores (``Model.explain``, as for
a held comment), the duplicates signal's MinHash band buckets, and counting the comment's answer and decision for
``/metrics``. Uses the live model unless ``--model``
names an artifact directory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.comments import comment_mix  # noqa: E402
from moderation_service.live_model import live_directory  # noqa: E402
from moderation_service.metrics import Metrics  # noqa: E402
from moderation_service.model.artifact import load  # noqa: E402
from moderation_service.model.text import normalize  # noqa: E402
from moderation_service.policy import Decision  # noqa: E402
from moderation_service.signals.minhash import band_buckets  # noqa: E402
from moderation_service.signals.textfold import fold_text  # noqa: E402


def per_item_us(step: Callable[[Any], object], items: Sequence[Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for item in items:
            step(item)
        best = min(best, time.process_time() - started)
    return round(best / len(items) * 1e6, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="artifact directory (default: the live model of models/)")
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    directory = args.model or live_directory(Path(__file__).resolve().parent.parent / "models")
    if directory is None:
        print("no live model: train one (moderation-train train --data data --out models/<version>) or pass --model",
              file=sys.stderr)
        return 2
    model = load(directory)
    texts = [comment["content"] for comment in comment_mix(args.comments)]
    normalized = [normalize(text) for text in texts]
    features = [model.assess(text)[1] for text in texts]
    vectorizers = [vectorizer for vectorizer, *_ in features[0].blocks]
    folded = [fold_text(text) for text in normalized]
    metrics = Metrics()
    # As a decision's record reaches the counters: a decision and its reasons (published ones mostly carry a
    # small signal, held ones a score or two).
    records = [SimpleNamespace(decision=decision, reasons=reasons, revision=1) for decision, reasons in (
        (Decision.PUBLISH, [{"kind": "signal", "name": "links"}]),
        (Decision.HOLD, [{"kind": "score", "name": "toxicity"}, {"kind": "score", "name": "insult"}]),
        (Decision.SPAM, [{"kind": "score", "name": "spam"}, {"kind": "signal", "name": "links"}]),
    )] * (len(texts) // 3 + 1)

    def count(record: Any) -> None:
        metrics.decided(record, repeated=False, spooled=False)
        metrics.answered("/v1/comments", "POST", 200, 0.004)

    result: dict[str, Any] = {"model": model.version, "comments": len(texts), "us_per_comment": {
        "normalize": per_item_us(normalize, texts, args.repeat),
        **{f"vectorize_{type(vectorizer).__name__}": per_item_us(vectorizer.vectorize, normalized, args.repeat)
           for vectorizer in vectorizers},
        "assess (normalize, vectorize, 7 heads)": per_item_us(model.assess, texts, args.repeat),
        "explain spam and toxicity": per_item_us(lambda f: model.explain(f, ["spam", "toxicity"]), features,
                                                 args.repeat),
        "minhash band buckets": per_item_us(band_buckets, folded, args.repeat),
        "metrics (count the decision and the answer)": per_item_us(count, records[:len(texts)], args.repeat),
    }}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
