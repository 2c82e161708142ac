"""The one model of a comment that every protocol adapter produces, and the record kept for it."""

from __future__ import annotations

import hashlib
import secrets
from base64 import b32encode
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

from .policy import Decision
from .reading import as_read, name_as_read


@dataclass(frozen=True, slots=True)
class Comment:
    site_id: str
    content: str
    comment_id: str | None = None
    post_id: str | None = None
    permalink: str | None = None
    author_name: str | None = None
    author_email: str | None = None
    author_url: str | None = None
    author_ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    parent_id: str | None = None
    lang: str | None = None
    submitted_at: str | None = None
    type: str | None = None
    #: What the blog's hidden honeypot form field contained (a person leaves it empty).
    honeypot: str | None = None
    #: When the blog rendered the comment form (ISO 8601), for the time-to-submit signal.
    form_rendered_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set (``dataclasses.asdict`` deep-copies, which costs too much per request)."""
        return {name: value for name in COMMENT_FIELDS if (value := getattr(self, name)) is not None}

    def identity(self) -> str:
        """What makes two submissions the same comment: the blog's id, else what the comment says, who wrote it
        and where (post and parent). Without an id, a blog may send the comment again as it stored it: WordPress
        rechecks send the filtered text (``&`` as ``&amp;``, links with ``rel`` attributes, tags it does not
        allow removed), so the text and name count as read, without markup."""
        if self.comment_id:
            return f"id\0{self.comment_id}"
        parts = (self.post_id or self.permalink or "", self.parent_id or "", name_as_read(self.author_name or ""),
                 (self.author_email or "").strip().lower(), as_read(self.content))
        return "fingerprint\0" + "\0".join(parts)

    def version(self) -> str:
        """What tells an edit from a retry of a comment with the blog's id: a hash of what readers and the
        model see (text, name, e-mail, website). A retry sends the same; an edit changes one of them.
        Without the blog's id, text, name and e-mail are the comment's identity, compared as read: a blog
        sending them again as it stored them (with other markup) sends a retry, not an edit."""
        if self.comment_id:
            parts = (self.content, self.author_name or "", self.author_email or "", self.author_url or "")
        else:  # the website aside: WordPress sends it again normalised (``pia.example`` as ``http://pia.example``)
            parts = (as_read(self.content), name_as_read(self.author_name or ""),
                     (self.author_email or "").strip().lower())
        return hashlib.blake2b("\0".join(parts).encode(), digest_size=12).hexdigest()


COMMENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Comment))

def public_id(site_id: str, identity: str | None) -> str:
    """``<site>:<token>``; the token is derived from the comment's identity so resubmissions map to it."""
    if identity is None:
        token = secrets.token_bytes(10)
    else:
        token = hashlib.blake2b(f"{site_id}\0{identity}".encode(), digest_size=10).digest()
    return f"{site_id}:{b32encode(token).decode('ascii').lower()}"


def split_public_id(value: str) -> tuple[str, str] | None:
    site_id, sep, token = value.rpartition(":")
    return (site_id, token) if sep and site_id and len(token) == 16 and token.isalnum() else None


class Status(str, Enum):
    """Where a comment stands now (the decision is what the service first answered)."""

    PUBLISHED = "published"
    PENDING = "pending"  # held, waiting for a moderator
    SPAM = "spam"
    APPROVED = "approved"
    REJECTED = "rejected"


INITIAL_STATUS = {Decision.PUBLISH: Status.PUBLISHED, Decision.HOLD: Status.PENDING, Decision.SPAM: Status.SPAM}


@dataclass(frozen=True)
class Record:
    """Everything kept for a decided comment: what a moderator sees and what a retraining run needs."""

    id: str
    comment: Comment
    decision: Decision
    status: Status
    scores: dict[str, float]
    reasons: list[dict[str, Any]]
    model_version: str
    thresholds: dict[str, dict[str, float]]
    received_at: float
    extra: dict[str, Any] = field(default_factory=dict)
    #: Keyed hashes of the author, IP, e-mail and link domains (never the values themselves).
    identities: dict[str, Any] = field(default_factory=dict)
    #: 1 for the comment as first submitted, one more for each edit the blog sent under the same id.
    revision: int = 1
    #: The versions an edit replaced, newest first: what they said and what became of them.
    earlier: list[dict[str, Any]] = field(default_factory=list)
    #: The blog's own id for a comment it sent without one, learnt once the blog stored it (WordPress's comment
    #: id, from the must-use plugin): its decisions reach that comment without searching for it.
    blog_comment_id: str | None = None
    #: When the author's personal data was erased from the record (see :mod:`.review.erasure`), if it was.
    personal_data_erased_at: float | None = None
    #: :meth:`Comment.version` of the comment as it was received, stored with the record (None: not stored yet, or
    #: stored before versions were): an erasure blanks fields that version hashes, and keeps it.
    stored_version: str | None = None

    @property
    def version(self) -> str:
        """The version of the comment as the blog sent it (see :meth:`Comment.version`), erased or not."""
        return self.stored_version or self.comment.version()

    @property
    def queued(self) -> bool:
        """Held for this service's moderators: not when its site reviews held comments elsewhere (Coral)."""
        return self.decision is Decision.HOLD and not self.extra.get("reviewed_elsewhere")
