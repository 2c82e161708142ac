"""The policy: the one place where scores and signals become ``publish``, ``hold`` or ``spam``.

The rule, additive like Rspamd's and Antispam Bee's rule engines:

1. Spam evidence adds up in log-odds: ``z = logit(model spam score) + sum(spam contributions of the signals
   that fired)``, and the combined spam score is ``sigmoid(z)``.
2. Review points add up: ``r = sum(hold contributions of the signals that fired)``.
3. A combined spam score at or above the ``spam`` threshold marks the comment spam. Otherwise it is held if
   the combined spam score reaches spam's ``hold`` threshold (the band between the two thresholds is
   "neither clearly fine nor clearly spam"), if any toxicity score reaches its ``hold`` threshold, or if
   ``r >= 1``. Otherwise it is published.

Thresholds come from the model's manifest (chosen on validation data) and may be overridden per site;
signal weights come from the site's signal settings.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from .model.explain import Phrase
from .signals.base import Hit


class Decision(str, Enum):
    PUBLISH = "publish"
    HOLD = "hold"
    SPAM = "spam"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision was taken: a score, or the review points of the signals, that reached a threshold.

    A score's reason may carry ``phrases``: the words that raised the score most, with their offsets.
    """

    kind: str
    name: str
    value: float
    threshold: float
    effect: Decision
    phrases: tuple[Phrase, ...] = field(default=())

    def explained(self, phrases: Sequence[Phrase]) -> Reason:
        return replace(self, phrases=tuple(phrases))

    def as_dict(self) -> dict[str, Any]:
        reason: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "effect": self.effect.value,
        }
        if self.phrases:
            reason["phrases"] = [phrase.as_dict() for phrase in self.phrases]
            reason["spans"] = [[phrase.start, phrase.end] for phrase in self.phrases]
        return reason


@dataclass(frozen=True)
class Thresholds:
    """``hold`` per attribute, and the spam score that marks a comment spam."""

    hold: Mapping[str, float]
    spam: float

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, float]]) -> Thresholds:
        return cls({name: float(values["hold"]) for name, values in config.items()}, float(config["spam"]["spam"]))

    def overridden(self, overrides: Mapping[str, Mapping[str, float]] | None) -> Thresholds:
        if not overrides:
            return self
        hold = dict(self.hold)
        spam = self.spam
        for name, values in overrides.items():
            if "hold" in values:
                hold[name] = float(values["hold"])
            if name == "spam" and "spam" in values:
                spam = float(values["spam"])
        return Thresholds(hold, max(spam, hold["spam"]))

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {name: ({"hold": value, "spam": self.spam} if name == "spam" else {"hold": value})
                for name, value in self.hold.items()}


REVIEW_POINTS_TO_HOLD = 1.0


def combined_spam(model_score: float | None, hits: Sequence[Hit]) -> float:
    """Step 1 of the rule: the model's spam score moved by the signals' log-odds.

    ``None``: the model has no spam score (trained without spam labels), so the signals start from even odds.
    """
    p = 0.5 if model_score is None else min(max(model_score, 1e-9), 1 - 1e-9)
    z = math.log(p / (1 - p)) + sum(hit.spam for hit in hits)
    return round(1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))), 6)


def spam_evidence(scores: Mapping[str, float], hits: Sequence[Hit], unscored: Collection[str] = ()) -> float | None:
    """The spam score the rule compares with the thresholds: the model's, moved by the signals' log-odds.

    ``None`` when the model has no spam score (``"spam"`` in ``unscored``) and no signal brought spam evidence.
    """
    if "spam" in unscored:
        return combined_spam(None, hits) if any(hit.spam for hit in hits) else None
    return combined_spam(scores["spam"], hits) if hits else scores["spam"]


def decide(
    scores: Mapping[str, float], thresholds: Thresholds, hits: Sequence[Hit] = (), unscored: Collection[str] = ()
) -> tuple[Decision, list[Reason]]:
    """Apply the rule above; reasons list what decided, strongest (largest margin) first.

    ``unscored``: attributes the model was trained without labels for. They take no part; without a spam
    score, only the signals' spam evidence counts, from even odds (a filled honeypot still marks spam).
    """
    reasons: list[Reason] = []
    spam_score = spam_evidence(scores, hits, unscored)
    if spam_score is not None and spam_score >= thresholds.spam:
        reasons.append(Reason("score", "spam", spam_score, thresholds.spam, Decision.SPAM))
    for name, threshold in thresholds.hold.items():
        value = spam_score if name == "spam" else None if name in unscored else scores[name]
        if value is not None and value >= threshold and not (name == "spam" and reasons):
            reasons.append(Reason("score", name, value, threshold, Decision.HOLD))
    points = round(sum(hit.hold for hit in hits), 6)
    if points >= REVIEW_POINTS_TO_HOLD:
        reasons.append(Reason("review", "signals", points, REVIEW_POINTS_TO_HOLD, Decision.HOLD))
    if not reasons:
        return Decision.PUBLISH, reasons
    reasons.sort(key=lambda r: (r.effect is not Decision.SPAM, r.threshold - r.value))
    return (Decision.SPAM if reasons[0].effect is Decision.SPAM else Decision.HOLD), reasons
