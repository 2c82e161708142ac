"""Which language a comment is written in, from its most common words (fast, no model to download).

Good enough to tell the languages a blog serves from those it does not; it answers ``None`` when a text
gives no clear clue (too short, mixed, or a language it does not know).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")

#: Frequent function words per language, chosen so that no word belongs to two languages.
STOPWORDS: dict[str, frozenset[str]] = {
    "de": frozenset("der die das und ist nicht ich du sie es ein eine einen zu mit auf für von den dem sich auch "
                    "wie aber wir ihr bist sind hat haben noch nur dass kein keine mein dein sehr doch schon oder "
                    "danke bitte nach bei aus wird werden diese dieser hier immer man wenn".split()),
    "en": frozenset("the and is not you are a to of it that this for with on be have has i we they your my but "
                    "or what if just very thanks do does at he she from by will would can there their been were "
                    "about which when".split()),
    "fr": frozenset("le la les et est pas je tu nous vous ils elle un une des du au aux avec pour dans sur ce "
                    "cette qui que mais ou très merci sont être avoir".split()),
    "es": frozenset("el los las y es no yo tú nosotros ellos una unos del al con para por en sobre este esta "
                    "que pero muy gracias son ser estar".split()),
    "it": frozenset("il lo gli e è non io noi voi loro uno della delle con per su questo questa che ma molto "
                    "grazie sono essere".split()),
    "nl": frozenset("de het een en is niet ik jij wij zij van op voor met dat dit maar ook zeer bedankt zijn "
                    "hebben wordt".split()),
    "pt": frozenset("o os as e é não eu você nós eles um uma do da dos das com para em este esta que mas muito "
                    "obrigado são ser".split()),
    "pl": frozenset("i jest nie ja ty my oni na w z do że to ale bardzo dziękuję są być".split()),
    "tr": frozenset("ve bir bu için çok ile ama değil ben sen biz siz da de mi ne teşekkürler".split()),
}
#: Each word counts for one language only (the first that lists it: "de" is German here, not Dutch).
LANGUAGE_OF: dict[str, str] = {}
for _lang, _words in STOPWORDS.items():
    for _word in _words:
        LANGUAGE_OF.setdefault(_word, _lang)


def detect(text: str, minimum_hits: int = 2) -> str | None:
    """The language whose common words occur most often, if clearly ahead; else ``None``."""
    counts = dict.fromkeys(STOPWORDS, 0)
    for word in _WORD.findall(text.lower()):
        lang = LANGUAGE_OF.get(word)
        if lang is not None:
            counts[lang] += 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, hits), (_, runner_up) = ranked[0], ranked[1]
    if hits < minimum_hits or hits < 1.5 * runner_up:
        return None
    return best
