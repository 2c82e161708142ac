"""Explanations: the words that drove a score, from the linear model's weights, with offsets into the text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderation_service.model import artifact
from moderation_service.model.explain import MAX_TOKENS, RELATIVE_MINIMUM, Features, Phrase, word_contributions

INSULT = "Du bist ein dummer Idiot und ein widerlicher Lügner, halt endlich dein Maul"
SPAM = "Check out my channel!!! Subscribe http://www.youtube.com/user/cheapfollowers and win free iPhones"


def explain(model: artifact.Model, text: str, attributes: list[str]) -> dict[str, list[Phrase]]:
    return model.explain(model.assess(text)[1], attributes)


@pytest.fixture(scope="module")
def model(model_dir: Path) -> artifact.Model:
    return artifact.load(model_dir)


def test_phrases_point_into_the_submitted_text(model: artifact.Model) -> None:
    text = f"<p>{INSULT}</p>\u200b"  # markup and invisible characters do not shift the offsets
    phrases = explain(model, text, ["insult"])["insult"]
    assert phrases, "an insult is explained by some of its words"
    for phrase in phrases:
        assert text[phrase.start:phrase.end] == phrase.text
        assert phrase.weight > 0
    assert [p.weight for p in phrases] == sorted((p.weight for p in phrases), reverse=True)
    words = {p.text.casefold() for p in phrases}
    assert words & {"idiot", "dummer", "lügner", "maul", "widerlicher"}
    assert phrases[0].text.casefold() not in {"du", "und", "ein", "dein", "bist"}


def test_a_link_is_one_word_and_can_drive_spam(model: artifact.Model) -> None:
    phrases = explain(model, SPAM, ["spam"])["spam"]
    assert {"channel", "Subscribe"} & {p.text for p in phrases} or any(p.text.startswith("http") for p in phrases)
    link = SPAM.index("http://")
    tokens, _ = word_contributions(model.scorer.features(SPAM), model.scorer._weights, [0])
    assert (link, SPAM.index(" and")) in tokens


def test_credits_add_up_to_most_of_the_logit(model: artifact.Model) -> None:
    # The words' credits plus the intercept come close to the head's logit: most of the score is explained.
    scorer = model.scorer
    column = scorer.attributes.index("insult")
    _, credits = word_contributions(scorer.features(INSULT), scorer._weights, [column])
    explained = scorer._intercepts[column] + credits.sum()
    logit = scorer.logits(INSULT)[column]
    assert abs(logit - explained) < 0.5 * abs(logit - scorer._intercepts[column])


def test_repeated_words_are_listed_once_at_their_first_place(model: artifact.Model) -> None:
    text = f"{INSULT}. {INSULT}!"
    phrases = explain(model, text, ["insult"])["insult"]
    assert phrases
    assert len({p.text.casefold() for p in phrases}) == len(phrases)
    assert all(p.end <= len(INSULT) for p in phrases)


def test_long_texts_are_read_up_to_a_bound(model: artifact.Model) -> None:
    text = " ".join(["Hallo"] * (MAX_TOKENS * 2))
    tokens, credits = word_contributions(model.scorer.features(text), model.scorer._weights, [0])
    assert len(tokens) == MAX_TOKENS and credits.shape == (MAX_TOKENS, 1)


def test_empty_and_wordless_texts_explain_nothing(model: artifact.Model) -> None:
    assert explain(model, "", ["spam"]) == {"spam": []}
    assert explain(model, "!!! ???", ["spam", "toxicity"]) == {"spam": [], "toxicity": []}
    assert np.asarray(word_contributions(model.scorer.features("…"), model.scorer._weights, [0])[1]).size == 0


def test_weak_words_are_not_listed_beside_strong_ones(model: artifact.Model) -> None:
    phrases = explain(model, INSULT, ["insult"])["insult"]
    assert all(p.weight >= RELATIVE_MINIMUM * phrases[0].weight for p in phrases)


def test_a_spam_theme_is_credited_to_the_words_that_name_it(model: artifact.Model) -> None:
    scorer = model.scorer
    text = "Hallo, schau mal: Gratis Kredit ohne Schufa, besuchen Sie uns!"
    features = scorer.features(text)
    themes = next(block for block in features.blocks if block[0].__class__.__name__ == "SpamThemeVectorizer")
    assert len(themes[2]), "the text names spam themes"
    tokens, credits = word_contributions(features, scorer._weights, [0])
    without = Features(features.text, features.normalized, tuple(b for b in features.blocks if b is not themes))
    _, credits_without = word_contributions(without, scorer._weights, [0])
    moved = {text[start:end] for (start, end), c, w in zip(tokens, credits[:, 0], credits_without[:, 0]) if c != w}
    assert moved == {"Gratis", "Kredit", "Schufa", "besuchen", "Sie"}
    # All of the themes' part of the logit goes to those words.
    theme_part = themes[3] @ scorer._weights[themes[2] + themes[1], 0]
    assert credits.sum() - credits_without.sum() == pytest.approx(theme_part)
