"""Does the model hold a civil comment for *whom* it names? Civil sentences about parties, politicians and,
for comparison, companies, each sentence with every name in turn.

    python bench/entity_bias.py [--model models/<version>]

The offensive tweets of GermEval 2018 are mostly about politics: two thirds of its tweets that mention the
Greens are labelled offensive, against a third of all. A model trained on them can learn the names, and
then hold "Ich finde die Kampagne der Grünen ziemlich schwach." but publish the same sentence about the
SPD. Every sentence here is civil (praise, questions, plain criticism), so every hold is a false one, and a
fair model holds as many for each name. To check a change that treats a list of names specially (masking
them, swapping them in training data) for tuning to this benchmark's names, two groups per language are
apart: "held out (not listed)" names parties without seats in a parliament and politicians who led no
party or group (ministers, state premiers), which a list of parties in the Bundestag, a Landtag, Congress or
the Commons since 2010 and of their leaders leaves out; "listed, new to the benchmark" names ones such a
list covers that the groups above did not name. Prints, per group and per name, the share of sentences held
for toxicity (any of its six scores at its hold threshold) and the mean toxicity score. The sentences are
ours, written for this benchmark, not taken from any dataset.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.comments import add_model_argument, chosen_model  # noqa: E402
from moderation_service.model.attributes import TOXICITY_FAMILY  # noqa: E402

# "{of}" takes a genitive phrase ("der Grünen", "von Olaf Scholz"), "{who}" a subject ("die Grünen", "Olaf Scholz").
GERMAN_SENTENCES = [
    "Ich finde die Kampagne {of} ziemlich schwach.",
    "Die Pressearbeit {of} war diesmal wirklich gut.",
    "Das Interview {of} gestern fand ich aufschlussreich.",
    "Die Kommunikation {of} in der Krise war ungeschickt.",
    "Man kann über die Plakate {of} streiten, aber sie fallen auf.",
    "Wie bewerten Sie die Social-Media-Strategie {of}?",
    "Der neue Slogan {of} überzeugt mich nicht.",
    "Die Pressemitteilung {of} war voller Floskeln, schade.",
    "Danke für die Analyse der Rede {of}, sehr hilfreich.",
    "Die Antwort {of} auf die Kritik kam viel zu spät.",
    "{who} hat in dieser Debatte keine gute Figur gemacht.",
    "Ich verstehe nicht, warum {who} so wenig auf Fragen eingeht.",
    "{who} sollte die eigene Strategie dringend überdenken.",
    "Bemerkenswert, wie offen {who} mit den Fehlern umgeht.",
    "Mir fehlt bei {dat} eine klare Linie.",
    "Bei {dat} merkt man, dass Profis am Werk sind.",
]
GERMAN_NAMES = {
    "parties": [
        ("der Grünen", "Die Grünen", "den Grünen"), ("der SPD", "Die SPD", "der SPD"),
        ("der CDU", "Die CDU", "der CDU"), ("der CSU", "Die CSU", "der CSU"), ("der AfD", "Die AfD", "der AfD"),
        ("der FDP", "Die FDP", "der FDP"), ("der Linken", "Die Linke", "der Linken"),
        ("des BSW", "Das BSW", "dem BSW"),
    ],
    "politicians": [
        (f"von {name}", name, name) for name in (
            "Angela Merkel", "Olaf Scholz", "Friedrich Merz", "Robert Habeck", "Annalena Baerbock",
            "Christian Lindner", "Alice Weidel", "Markus Söder", "Sahra Wagenknecht", "Ricarda Lang",
        )
    ],
    "companies (comparison)": [
        ("von Siemens", "Siemens", "Siemens"), ("der Telekom", "Die Telekom", "der Telekom"),
        ("der Deutschen Bahn", "Die Deutsche Bahn", "der Deutschen Bahn"),
        ("von Volkswagen", "Volkswagen", "Volkswagen"),
        ("des ADAC", "Der ADAC", "dem ADAC"), ("der Sparkasse", "Die Sparkasse", "der Sparkasse"),
    ],
    # Left out by a list of parties with seats in the Bundestag or a Landtag since 2010 and of their leaders
    # (chairs, group chairs, candidates for chancellor): no seats; ministers and state premiers.
    "parties, held out (not listed)": [
        ("von Volt", "Volt", "Volt"), ("der PARTEI", "Die PARTEI", "der PARTEI"), ("der ÖDP", "Die ÖDP", "der ÖDP"),
    ],
    "politicians, held out (not listed)": [
        (f"von {name}", name, name) for name in (
            "Björn Höcke", "Heiko Maas", "Karl Lauterbach", "Winfried Kretschmann", "Manuela Schwesig",
            "Nancy Faeser", "Boris Pistorius",
        )
    ],
    # Covered by such a list, but not among the names above (which were chosen before any list was written).
    "listed, new to the benchmark": [
        ("der Freien Wähler", "Die Freien Wähler", "den Freien Wählern"),
        ("der Piratenpartei", "Die Piratenpartei", "der Piratenpartei"),
        *((f"von {name}", name, name) for name in (
            "Saskia Esken", "Tino Chrupalla", "Horst Seehofer", "Cem Özdemir", "Janine Wissler", "Jens Spahn",
        )),
    ],
}
ENGLISH_SENTENCES = [
    "I found the campaign of {who} rather weak.",
    "The press work of {who} was really good this time.",
    "How do you rate the social media strategy of {who}?",
    "{who} did not come across well in this debate.",
    "Thanks for the analysis of the speech by {who}, very helpful.",
    "The response of {who} to the criticism came far too late.",
]
ENGLISH_NAMES = {
    "parties": ["the Democrats", "the Republicans", "Labour", "the Conservatives", "the Greens"],
    "politicians": ["Donald Trump", "Joe Biden", "Kamala Harris", "Barack Obama", "Hillary Clinton", "Keir Starmer"],
    "companies (comparison)": ["Siemens", "Microsoft", "Volkswagen", "Deutsche Bahn", "Unilever"],
    "parties, held out (not listed)": ["the Libertarians", "the Liberals"],
    "politicians, held out (not listed)": [
        "Bernie Sanders", "Nancy Pelosi", "Ron DeSantis", "Alexandria Ocasio-Cortez",
    ],
    "listed, new to the benchmark": ["the Liberal Democrats", "Nigel Farage", "Rishi Sunak", "Mike Pence"],
}


def sentences() -> dict[str, dict[str, dict[str, list[str]]]]:
    """language -> group -> name -> the sentences about it."""
    german = {
        group: {who: [s.format(of=of, who=who, dat=dat) for s in GERMAN_SENTENCES] for of, who, dat in names}
        for group, names in GERMAN_NAMES.items()
    }
    english = {
        group: {name: [s.format(who=name) for s in ENGLISH_SENTENCES] for name in names}
        for group, names in ENGLISH_NAMES.items()
    }
    return {"de": german, "en": english}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_argument(parser)
    model = chosen_model(parser.parse_args().model)
    if model is None:
        return 2
    holds = {attribute: model.thresholds[attribute]["hold"] for attribute in TOXICITY_FAMILY}

    result: dict[str, object] = {"model": model.version}
    for language, groups in sentences().items():
        by_group = {}
        for group, names in groups.items():
            by_name = {}
            for name, texts in names.items():
                scores = [model.scores(text) for text in texts]
                held = sum(any(s[a] >= hold for a, hold in holds.items()) for s in scores)
                by_name[name] = {"held": round(held / len(texts), 3),
                                 "toxicity": round(statistics.fmean(s["toxicity"] for s in scores), 3)}
            rates = [entry["held"] for entry in by_name.values()]
            by_group[group] = {
                "held": round(statistics.fmean(rates), 3), "held_range": [min(rates), max(rates)],
                "toxicity": round(statistics.fmean(entry["toxicity"] for entry in by_name.values()), 3),
                "names": by_name,
            }
        result[language] = by_group
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
