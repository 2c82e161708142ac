"""Are German threats and calls for violence held, and reports of violence published?

    python bench/threats.py [--model models/<version>] [--wue /path/to/shared/data/german-hatespeech-wue]

The only threat labels in the shared data are English (Jigsaw): a model that never saw a German threat can
publish "Ich bringe dich um, wenn ich dich sehe." Prints, for threats and calls for violence written for
this benchmark, and for civil sentences that use the same words to report or as a figure of speech, the
decision and the toxicity and threat scores (the model's scores and thresholds alone, default site
settings, no signals). With ``--wue``, also the decisions on the Würzburg corpus's comments labelled hate
speech ("only clear cases: threats or glorification of violence, incitement"; used by path, its license
allows no copy here, and the default model is not trained on it). The sentences are ours.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.comments import add_model_argument, chosen_model, judged  # noqa: E402

THREATS = [
    "Ich bringe dich um, wenn ich dich sehe.",
    "Geh sterben, du Opfer.",
    "Solche Leute sollte man öffentlich hinrichten.",
    "Die gehören alle an die Wand gestellt.",
    "Aufhängen sollte man diese Verräter, alle.",
    "Ich weiß, wo du wohnst. Pass bloß auf.",
    "Wenn ich den erwische, stech ich ihn ab.",
    "Diese Politiker gehören an den Galgen.",
    "I will find you and kill you.",
    "People like you should be shot.",
]
CIVIL = [
    "Der Täter wurde nach dem Überfall von der Polizei erschossen, berichtet die Zeitung.",
    "In Saudi-Arabien wurden wieder Menschen hingerichtet, das muss die Regierung ansprechen.",
    "Bei dem Witz habe ich mich totgelacht.",
    "Die Ausstellung hängt jetzt im Foyer, wir haben die Bilder gestern aufgehängt.",
    "Der Film erzählt, wie im Mittelalter Hexen verbrannt wurden.",
    "Diese Kampagne hat die Konkurrenz regelrecht an die Wand gespielt.",
    "Der Krimi gestern war spannend, am Ende wird der Mörder gefasst.",
    "Gegen Mücken hilft bei mir nur ein Netz, die bringen mich sonst um den Schlaf.",
    "The article explains how the police shot the suspect during the raid.",
    "This deadline is going to kill me, but the draft is almost done.",
]
WUE_FILES = ("bretschneider.csv", "germanrefugees.csv", "hasoc.csv", "polly_withhate_dez16-20.csv")


def wue_hate_speech(folder: Path) -> list[str]:
    from training.datasets import load_path

    return [example.content for dataset in load_path(folder) for example in dataset.examples
            if example.labels.get("severe_toxicity") == 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_argument(parser)
    parser.add_argument("--wue", type=Path, help="the german-hatespeech-wue folder of the shared data")
    args = parser.parse_args()
    model = chosen_model(args.model)
    if model is None:
        return 2
    shown = ("toxicity", "threat")
    result: dict[str, object] = {"model": model.version, "threat_hold": model.thresholds["threat"]["hold"]}
    for group, texts in (("threats", THREATS), ("civil", CIVIL)):
        rows = judged(model, texts, shown)
        result[group] = {"decisions": dict(Counter(row["decision"] for row in rows)), "comments": rows}
    if args.wue:
        rows = judged(model, wue_hate_speech(args.wue), shown)
        published = [row for row in rows if row["decision"] == "publish"]
        result["wue_hate_speech"] = {"comments": len(rows), "decisions": dict(Counter(r["decision"] for r in rows)),
                                     "published": [row["text"][:120] for row in published]}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
