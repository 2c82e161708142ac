"""Is a reader who names a sum of money taken for a spammer? Ordinary sentences about wages, fees and prices,
and, for comparison, spam that promises money.

    python bench/money_talk.py [--model models/<version>]

SMS spam is full of amounts ("£1000 prize", "150p per week") and the shared data holds no ordinary comment
that names one, so a model can learn that a sum is spam. Until the ninth session (2026-11-27) the spam
themes counted every amount and every rate as "money", and six of the nine ordinary sentences below were
marked spam. Prints,
for each sentence, the decision and the spam score (the model's scores and its thresholds alone, default
site settings, no signals). The sentences are ours, written for this benchmark, not taken from any dataset.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.comments import add_model_argument, chosen_model, judged  # noqa: E402

ORDINARY = [
    "Das Bürgergeld steigt um 12 Euro auf 563 Euro im Monat. Das reicht bei den Preisen nicht.",
    "Wer 10000 Euro im Monat verdient und 3% Lohnerhöhung bekommt, hat 300€ mehr. Wer 1000€ hat, bekommt nur "
    "30€ mehr.",
    "Die Agentur hat für die Kampagne 50.000 € bekommen, das finde ich bei dem Ergebnis viel Geld.",
    "Mit 1.200 € netto im Monat kann man in München keine Wohnung bezahlen.",
    "Die Mindestlohnerhöhung auf 12,41 Euro bringt einem Vollzeitbeschäftigten etwa 60 Euro mehr im Monat.",
    "If you earn $10,000 a month and get a 3% raise, that's $300 more. Someone on $1,000 gets only $30.",
    "Rechnet man das auf 10 Jahre hoch, hat der mit 10000€ nach 10 Jahren ca. 14000€ aber der mit 1000€ nur "
    "1400€.",
    "Der Rundfunkbeitrag kostet 18,36 Euro im Monat, also 220 Euro im Jahr pro Haushalt.",
    "Ich habe für das Seminar 300 Euro bezahlt und fand es jeden Cent wert.",
]
SPAM = [
    "Verdienen Sie 10000 Euro im Monat von zu Hause! Jetzt anmelden und sofort Geld verdienen.",
    "Make $500 a day from home, no experience needed. Click here to start earning now!",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_argument(parser)
    args = parser.parse_args()
    model = chosen_model(args.model)
    if model is None:
        return 2
    result: dict[str, object] = {"model": model.version, "spam_thresholds": model.thresholds["spam"]}
    for group, texts in (("ordinary", ORDINARY), ("spam", SPAM)):
        rows = judged(model, texts, ("spam",))
        result[group] = {"decisions": {d: sum(r["decision"] == d for r in rows) for d in ("publish", "hold", "spam")},
                         "comments": rows}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
