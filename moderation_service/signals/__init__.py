"""Signals beyond the text: small checks that add evidence to the decision.

Each signal looks at one thing (a honeypot field, time to submit, links, word lists, language, reputation,
near-duplicate waves, flood) and, when it fires, returns a :class:`~.base.Hit` with its contribution and
evidence. How contributions combine into the decision is the policy's one rule (see
:mod:`moderation_service.policy`).
"""

from .base import Hit
from .config import SignalConfig

__all__ = ["Hit", "SignalConfig"]
