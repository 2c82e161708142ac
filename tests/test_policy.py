"""The policy turns scores into a decision by one rule, with thresholds from configuration."""

from __future__ import annotations

import pytest

from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.policy import Decision, Thresholds, combined_spam, decide
from moderation_service.signals.base import Hit

MODEL_THRESHOLDS = {"spam": {"hold": 0.4, "spam": 0.9}, **{a: {"hold": 0.5} for a in ATTRIBUTES[1:]}}


def scores(**values: float) -> dict[str, float]:
    return {**{a: 0.0 for a in ATTRIBUTES}, **values}


@pytest.fixture
def thresholds() -> Thresholds:
    return Thresholds.from_config(MODEL_THRESHOLDS)


def test_all_scores_low_publishes(thresholds: Thresholds) -> None:
    assert decide(scores(spam=0.39, toxicity=0.49), thresholds) == (Decision.PUBLISH, [])


def test_clear_spam_is_spam(thresholds: Thresholds) -> None:
    decision, reasons = decide(scores(spam=0.95, insult=0.7), thresholds)
    assert decision is Decision.SPAM
    assert [(r.name, r.effect) for r in reasons] == [("spam", Decision.SPAM), ("insult", Decision.HOLD)]


def test_uncertain_spam_is_held(thresholds: Thresholds) -> None:
    decision, reasons = decide(scores(spam=0.6), thresholds)
    assert decision is Decision.HOLD
    assert [(r.name, r.value, r.threshold) for r in reasons] == [("spam", 0.6, 0.4)]


def test_any_toxicity_attribute_holds_strongest_reason_first(thresholds: Thresholds) -> None:
    decision, reasons = decide(scores(toxicity=0.55, threat=0.95), thresholds)
    assert decision is Decision.HOLD
    assert [r.name for r in reasons] == ["threat", "toxicity"]


def test_a_bare_link_is_held_not_marked_spam(thresholds: Thresholds) -> None:
    """"Siehe auch <link to a news site>": the model's spam score is middling, the links signal says link only."""
    bare_link = Hit("links", spam=0.0, hold=1.0, evidence={"links": 1, "link_only": True})
    decision, reasons = decide(scores(spam=0.3), thresholds, [bare_link])
    assert decision is Decision.HOLD and [r.name for r in reasons] == ["signals"]
    assert decide(scores(spam=0.95), thresholds, [bare_link])[0] is Decision.SPAM  # the model still decides spam


def test_threshold_is_inclusive(thresholds: Thresholds) -> None:
    assert decide(scores(toxicity=0.5), thresholds)[0] is Decision.HOLD


def test_site_overrides_apply_over_the_model(thresholds: Thresholds) -> None:
    site = thresholds.overridden({"toxicity": {"hold": 0.8}, "spam": {"spam": 0.7}})
    assert site.hold["toxicity"] == 0.8 and site.spam == 0.7 and site.hold["insult"] == 0.5
    assert decide(scores(toxicity=0.6), site)[0] is Decision.PUBLISH
    assert decide(scores(spam=0.75), site)[0] is Decision.SPAM


def test_spam_threshold_never_below_hold(thresholds: Thresholds) -> None:
    site = thresholds.overridden({"spam": {"hold": 0.95}})
    assert site.spam == 0.95


def test_without_a_spam_score_the_signals_decide_from_even_odds() -> None:
    cautious = Thresholds.from_config({"spam": {"hold": 0.99, "spam": 0.99}, "toxicity": {"hold": 0.5}})
    unscored = ["spam"]
    assert decide(scores(spam=0.0), cautious, unscored=unscored) == (Decision.PUBLISH, [])
    decision, reasons = decide(scores(spam=0.0), cautious, [Hit("honeypot", spam=25.0)], unscored)
    assert decision is Decision.SPAM and reasons[0].value == pytest.approx(1.0)
    # Weak evidence alone is no reason: a link too many (0.7) gives 0.67, below the cautious cut.
    assert decide(scores(spam=0.0), cautious, [Hit("links", spam=0.7)], unscored)[0] is Decision.PUBLISH
    # With a spam score of 0 from a model that has one, the same honeypot would be outweighed less easily.
    assert combined_spam(None, [Hit("honeypot", spam=25.0)]) > combined_spam(0.0, [Hit("honeypot", spam=25.0)])
    assert decide(scores(toxicity=0.9), cautious, unscored=["spam", "toxicity"]) == (Decision.PUBLISH, [])
