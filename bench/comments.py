"""What the benchmarks share: a realistic comment mix drawn from the committed data (fixed seed), and the model
a benchmark measures."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from moderation_service.live_model import live_directory
from moderation_service.model.artifact import Model, load
from moderation_service.policy import Thresholds, decide
from training.datasets import load_path

ROOT = Path(__file__).resolve().parent.parent

#: Share of each kind of comment in the mix: mostly ordinary German comments, as on the first user's blog.
MIX = {"german_ham": 0.55, "english_ham": 0.15, "spam": 0.20, "toxic": 0.10}


def comment_mix(count: int, seed: int = 1) -> list[dict[str, str]]:
    rng = random.Random(seed)
    pools: dict[str, list[str]] = {kind: [] for kind in MIX}
    for example in load_path(ROOT / "data" / "germeval2018")[0].examples:
        pools["german_ham" if example.labels["toxicity"] == 0 else "toxic"].append(example.content)
    for example in load_path(ROOT / "data" / "jigsaw-toxic")[0].examples:
        if example.labels["toxicity"] == 0 and 40 <= len(example.content) <= 800:
            pools["english_ham"].append(example.content)
    for folder in ("youtube-spam", "sms-spam-de-mt"):
        pools["spam"] += [e.content for e in load_path(ROOT / "data" / folder)[0].examples if e.labels["spam"] == 1]
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    return [
        {
            "content": rng.choice(pools[kind]),
            "author_name": rng.choice(["Jana", "Tom K.", "Leser", "mike77", "Dr. Weber"]),
            # Authors and addresses as varied as a blog's readers: no flood limit is reached by accident.
            "author_email": f"user{rng.randrange(1_000_000)}@example.org",
            "author_ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "permalink": f"https://blog.example/posts/{rng.randrange(200)}",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "kind": kind,
        }
        for kind in kinds
    ]


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="artifact directory (default: the live model of models/)")


def chosen_model(path: Path | None) -> Model | None:
    """The artifact at ``path``, or the live model of ``models/``; ``None`` (said on stderr) if there is none."""
    directory = path or live_directory(ROOT / "models")
    if directory is None:
        print("no live model: train one or pass --model", file=sys.stderr)
        return None
    return load(directory)


def judged(model: Model, texts: list[str], shown: tuple[str, ...]) -> list[dict[str, object]]:
    """Each text's decision by the model's scores and thresholds alone (default site settings, no signals),
    with the ``shown`` scores."""
    thresholds = Thresholds.from_config(model.thresholds)
    rows: list[dict[str, object]] = []
    for text in texts:
        scores = model.scores(text)
        decision, _ = decide(scores, thresholds, (), model.untrained)
        rows.append({"decision": decision.value, **{name: round(scores[name], 4) for name in shown}, "text": text})
    return rows
