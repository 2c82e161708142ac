"""How spellings that dodge word lists change the spam score: umlauts written out, letters as digits.

    python bench/obfuscated_spam.py [--model models/<version>] [--data data] [--seed 7]

Takes the German texts of the model's own validation split (held out from its training by the same hash):
the machine-translated SMS spam and ham (``sms-spam-de-mt``) and the GermEval 2018 tweets (ordinary German
comments, none of them spam). Each text is scored as written; with its umlauts written out ("ä" as "ae",
"ß" as "ss", as on a keyboard without them); and with one letter swapped for a look-alike digit or symbol
("k0stenlos", "gr@tis") in a third of its words of five letters or more, and in all of them; and the same
with a Cyrillic letter drawn like the Latin one ("kоstenlos" with Cyrillic о). Prints, at the
model's spam hold threshold, the share of spam held and the share of ordinary texts held as possible spam,
for each spelling. Uses the live model unless ``--model`` names an artifact directory.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.comments import add_model_argument, chosen_model  # noqa: E402
from training.split import in_validation  # noqa: E402
from training.train import build_corpus, load_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
LOOK_ALIKES = str.maketrans({"o": "0", "i": "1", "e": "3", "a": "@", "s": "$"})
# Cyrillic letters drawn like the Latin ones: "kоstenlоs" with Cyrillic о looks the same on screen.
CYRILLIC = str.maketrans({"o": "\u043e", "i": "\u0456", "e": "\u0435", "a": "\u0430", "s": "\u0455",
                          "c": "\u0441", "p": "\u0440"})
WORD = re.compile(r"[^\W\d_]{5,}")


def written_out(text: str, rng: random.Random) -> str:
    return text.translate(UMLAUTS)


def look_alikes(text: str, rng: random.Random, share: float = 1 / 3, table: dict[int, str] = LOOK_ALIKES) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() >= share:
            return word
        position = next((i for i, c in enumerate(word) if ord(c.lower()) in table), None)
        if position is None:
            return word
        return word[:position] + word[position].lower().translate(table) + word[position + 1:]

    return WORD.sub(swap, text)


SPELLINGS: dict[str, Callable[[str, random.Random], str]] = {
    "as written": lambda text, rng: text,
    "umlauts written out": written_out,
    "look-alikes in a third of the words": look_alikes,
    "look-alikes in every word": lambda text, rng: look_alikes(text, rng, share=1.0),
    "Cyrillic look-alikes in a third of the words": lambda text, rng: look_alikes(text, rng, table=CYRILLIC),
    "Cyrillic look-alikes in every word": lambda text, rng: look_alikes(text, rng, share=1.0, table=CYRILLIC),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_argument(parser)
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="the folder holding sms-spam-de-mt and "
                        "germeval2018 (default: the project's data/)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = chosen_model(args.model)
    if model is None:
        return 2
    manifest = model.manifest
    hold = manifest["thresholds"]["spam"]["hold"]
    split = manifest["validation"]
    datasets = load_data([args.data / "sms-spam-de-mt", args.data / "germeval2018"], report=lambda _: None)
    corpus = build_corpus(datasets)
    validation = corpus.subset(in_validation(corpus.normalized, split["fraction"], split["seed"]))
    spam_column = manifest["attributes"].index("spam")
    groups = {
        "German SMS spam": [t for t, y, s in zip(validation.normalized, validation.Y[:, spam_column],
                                                 validation.sources) if s == "sms-spam-de-mt" and y == 1],
        "German SMS ham": [t for t, y, s in zip(validation.normalized, validation.Y[:, spam_column],
                                                validation.sources) if s == "sms-spam-de-mt" and y == 0],
        "GermEval 2018 tweets": [t for t, s in zip(validation.normalized, validation.sources) if s == "germeval2018"],
    }
    result: dict[str, object] = {"model": model.version, "spam_hold_threshold": hold, "held": {}}
    for group, texts in groups.items():
        rates = {}
        for spelling, respell in SPELLINGS.items():
            rng = random.Random(args.seed)
            held = sum(model.assess(respell(text, rng))[0]["spam"] >= hold for text in texts)
            rates[spelling] = round(held / len(texts), 4)
        result["held"][group] = {"texts": len(texts), **rates}  # type: ignore[index]
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
