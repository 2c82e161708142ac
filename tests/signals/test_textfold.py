"""The fast fold (for duplicate detection) equals the fold with offsets (for word lists), on real comments."""

from __future__ import annotations

import pytest

from bench.comments import comment_mix
from moderation_service.signals.textfold import fold, fold_text

TRICKY = ["V1@gr@ jetzt!", "саsinо Привет", "ΟΝΛΙΝΕ", "s.p.a.m und v i a g r a",
          "Zero\u200bwidth\u00adsoft", "ＦＵＬＬ ｗｉｄｔｈ", "Ça coûte 5€",
          "Straße ÄÖÜ ﬁ", "", "a.b", "\U0001F600 emoji", "ǅ Ǆ ß"]


@pytest.mark.parametrize("text", TRICKY + [c["content"] for c in comment_mix(300)])
def test_fold_text_equals_fold(text: str) -> None:
    folded = fold(text)
    assert fold_text(text) == folded.text
    assert len(folded.origin) == len(folded.text)


def test_folding_undoes_obfuscation() -> None:
    assert fold_text("V1@gr@ jetzt!") == "viagra jetzt!"
    assert fold_text("s.p.a.m") == "spam"
    assert fold_text("Zero\u200bwidth") == "zerowidth"
    # Cyrillic and Greek look-alikes, with accents, in either case: "Саsinо", "ѴІАGRА", "Ϲasino"
    assert fold_text("\u0421\u0430sin\u043e \u0474\u0406\u0410GR\u0410 \u03ba\u03bfst\u03b5nl\u03bfs") == (
        "casino viagra kostenlos")
    assert fold_text("\u04d3") == "a"  # Cyrillic a with diaeresis: the accent goes, as on a Latin letter
    # Other Cyrillic letters stay: a Russian comment is not turned into Latin gibberish that could match.
    assert fold_text("Привет мир") == "пpивeт миp"


@pytest.mark.parametrize("text", ["Scheiße", "SCHEISSE", "scheisse", "SCHEIẞE", "Scheiſſe"])
def test_sharp_s_folds_as_german_writes_it_in_capitals(text: str) -> None:
    # A site that lists "Scheiße" catches "SCHEISSE" too (lower() kept "ß" and "ss" apart).
    assert fold_text(text) == "scheisse"
    folded = fold(text)
    assert folded.text == "scheisse" and folded.span(0, len(folded.text)) == (0, len(text))
