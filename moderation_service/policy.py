"""The policy: the one place where scores become ``publish``, ``hold`` or ``spam``.

Rule: a spam score at or above the ``spam`` threshold marks the comment spam. Otherwise any score at or
above its ``hold`` threshold (spam included: the band between spam's ``hold`` and ``spam`` thresholds is
"neither clearly fine nor clearly spam") holds it for a moderator. Otherwise it is published. Thresholds
come from the model's manifest (chosen on validation data) and may be overridden per site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Decision(str, Enum):
    PUBLISH = "publish"
    HOLD = "hold"
    SPAM = "spam"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision was taken: a score (or, later, a signal) that reached its threshold."""

    kind: str
    name: str
    value: float
    threshold: float
    effect: Decision

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "effect": self.effect.value,
        }


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


def decide(scores: Mapping[str, float], thresholds: Thresholds) -> tuple[Decision, list[Reason]]:
    """Apply the rule above; reasons list what fired, strongest (largest margin) first."""
    reasons: list[Reason] = []
    spam_score = scores["spam"]
    if spam_score >= thresholds.spam:
        reasons.append(Reason("score", "spam", spam_score, thresholds.spam, Decision.SPAM))
    for name, threshold in thresholds.hold.items():
        value = scores[name]
        if value >= threshold and not (name == "spam" and reasons):
            reasons.append(Reason("score", name, value, threshold, Decision.HOLD))
    if not reasons:
        return Decision.PUBLISH, reasons
    reasons.sort(key=lambda r: (r.effect is not Decision.SPAM, r.threshold - r.value))
    return (Decision.SPAM if reasons[0].effect is Decision.SPAM else Decision.HOLD), reasons
