"""What every signal returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Hit:
    """A signal that fired.

    ``spam`` is added to the spam score's log-odds (negative: evidence against spam); ``hold`` adds review
    points (a total of 1 or more holds the comment for a moderator). ``spans`` are character offsets in the
    comment's text that the moderator UI highlights.
    """

    name: str
    spam: float = 0.0
    hold: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    spans: tuple[tuple[int, int], ...] = ()

    def as_reason(self) -> dict[str, Any]:
        reason: dict[str, Any] = {"kind": "signal", "name": self.name, "spam": round(self.spam, 3),
                                  "hold": round(self.hold, 3), "evidence": self.evidence}
        if self.spans:
            reason["spans"] = [list(span) for span in self.spans]
        return reason
