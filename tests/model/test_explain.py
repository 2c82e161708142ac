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


def test_a_link_without_a_scheme_is_one_word_credited_as_the_model_reads_it(model: artifact.Model) -> None:
    # The model reads "bit.ly/x1" as the link "URL bit.ly" (its normalise step's ``bare_links``): the word gets
    # the credit of those features, as the same link written with "http://" does.
    scorer = model.scorer
    bare, schemed = "Earn money at bit.ly/x1Kz now", "Earn money at http://bit.ly/x1Kz now"
    credits = {}
    for text in (bare, schemed):
        tokens, words = word_contributions(scorer.features(text), scorer._weights, [0], scorer._normalize)
        link = text.index("bit.ly") if text is bare else text.index("http")
        assert (link, text.index(" now")) in tokens
        credits[text] = words[tokens.index((link, text.index(" now"))), 0]
        explained = scorer._intercepts[0] + words.sum()
        assert abs(scorer.logits(text)[0] - explained) < 0.5 * abs(scorer.logits(text)[0] - scorer._intercepts[0])
    assert credits[bare] == pytest.approx(credits[schemed])
    assert credits[bare] > 0


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



def test_a_word_spelled_with_symbols_is_credited_as_one_word(model: artifact.Model) -> None:
    """Spam that writes "@" or "$" for letters is matched by the themes folded ("gr@tis" as "gratis"): the
    moderator sees the word as written, not its pieces "gr" and "tis"."""
    scorer = model.scorer
    text = "Jetzt gr@tis testen im Online ca$ino"
    tokens, credits = word_contributions(scorer.features(text), scorer._weights, [0])
    assert [text[start:end] for start, end in tokens] == ["Jetzt", "gr@tis", "testen", "im", "Online", "ca$ino"]
    words = dict(zip((text[start:end] for start, end in tokens), credits[:, 0]))
    assert words["gr@tis"] > 0 and words["ca$ino"] > 0

#: Characters that move offsets when normalised or lower-cased ("İ", "ẞ", ligatures, full-width and
#: mathematical letters, combining marks, invisible and line-separator characters) and others from many scripts.
_ODD = ("abcdefghijklmnopqrstuvwxyzäöüß ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜẞ 0123456789.,:;!?-_/\\'\"()[]{}<>@#$%&*+=~^`|"
        "\u0130\u0131\u00df\ufb00\ufb01\ufb03\u2126\u212a\u2160\u00bd\u2075\u0345\u03c2\u03a3\u1f80"
        "\u0300\u0301\u0308\u20dd\u200b\u200c\u200d\ufeff\u00ad\u2028\u2029\u0085\x00\x0b\x0c\r\n\t"
        "\u05d0\u05d1\u0627\u0644\u4e2d\u6587\uac00\U0001F600\U0001F44D\U0001F1E9\U0001F1EA\u2764\ufe0f"
        "\uff21\uff41\uff10\u3000\u2460\u24b6\U0001d400\U0001d41a")
_PIECES = ["http://", "www.", ".de", "<a href=", "</a>", "<b>", "&amp;", "&#x27;", "kostenlos", "Kredit", "free",
           "check out my channel", "Idiot", "dumm", "€", "100 €", "$5", "@user", "#tag", "...", "!!!", "ﬁ"]


def test_phrases_point_into_any_text(model: artifact.Model) -> None:
    """2,000 seeded random texts of odd characters and spam and insult pieces: scores are probabilities and
    every phrase's offsets cut its own text out of the comment (60,000 such texts on the default model
    passed the same check when this test was written)."""
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(2000):
        parts = [_PIECES[rng.integers(len(_PIECES))] if rng.random() < 0.3
                 else "".join(rng.choice(list(_ODD), size=rng.integers(1, 12))) for _ in range(rng.integers(1, 40))]
        text = "".join(parts)
        scores, features = model.assess(text)
        assert all(0.0 <= value <= 1.0 for value in scores.values()), (text, scores)
        for phrases in model.explain(features, ["spam", "toxicity", "insult"]).values():
            for phrase in phrases:
                assert 0 <= phrase.start < phrase.end <= len(text) and text[phrase.start:phrase.end] == phrase.text, \
                    (text, phrase)
                checked += 1
    assert checked > 5000, checked  # the texts are explained, so the check is not vacuous
