"""Every Redis key the service uses is built here.

All keys of one site share the hash tag ``{<site>}``, so that the scripts that touch a comment and its
site's queues run on one Redis Cluster slot.
"""

from __future__ import annotations

NAMESPACE = "moderation"


def _site(site_id: str) -> str:
    return f"{NAMESPACE}:{{{site_id}}}"


def comment(site_id: str, token: str) -> str:
    """Hash: the record of one decided comment."""
    return f"{_site(site_id)}:comment:{token}"


def pending(site_id: str) -> str:
    """Sorted set: held comments waiting for review, scored by arrival time (oldest first)."""
    return f"{_site(site_id)}:pending"


def sites() -> str:
    """Set: every site that has sent a comment."""
    return f"{NAMESPACE}:sites"


def labels() -> str:
    """Stream: every labelled example collected for retraining (moderator decisions, protocol feedback)."""
    return f"{NAMESPACE}:labels"
