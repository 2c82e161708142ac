"""The one model of a comment that every protocol adapter produces, and the record kept for it."""

from __future__ import annotations

import hashlib
import re
import secrets
from base64 import b32encode
from dataclasses import dataclass, field, fields
from enum import Enum
from html.entities import name2codepoint
from html.parser import HTMLParser
from typing import Any

from .policy import Decision


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
        parts = (self.post_id or self.permalink or "", self.parent_id or "", as_read(self.author_name or ""),
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
            parts = (as_read(self.content), as_read(self.author_name or ""), (self.author_email or "").strip().lower())
        return hashlib.blake2b("\0".join(parts).encode(), digest_size=12).hexdigest()


COMMENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Comment))

#: A tag, its quoted attribute values may hold ``>`` (a tag left unclosed stays text).
_TAG = re.compile(r"""<[a-zA-Z/!](?:[^<>"']|"[^"]*"|'[^']*')*>""")
_LINK_OPENING = re.compile(r"<a[\s/]", re.IGNORECASE)


class _LinkTarget(HTMLParser):
    """The ``href`` of one ``<a>`` tag, read as a browser reads its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.href = next((value or "" for name, value in attrs if name == "href"), "")  # the first, as browsers

    handle_startendtag = handle_starttag


def _link_target(tag: re.Match[str]) -> str:
    """A tag as it counts for identity: a link by where it links to (``href``), so that a comment resent with
    a link added or changed is not the same comment, while attributes a blog adds (``rel``) do not matter;
    other tags not at all (WordPress drops those a commenter may not use, ``<img>`` with its ``src``, before
    it stores the comment it sends again)."""
    if not _LINK_OPENING.match(tag.group()):
        return ""
    parser = _LinkTarget()
    parser.feed(tag.group().replace("&", "&amp;"))  # references are decoded once, below, as WordPress keeps them
    parser.close()
    return f" {parser.href} " if parser.href else ""


_ENTITY = re.compile(r"&(?:#(0*[0-9]{1,7})|#[xX]0*([0-9a-fA-F]{1,6})|([A-Za-z]{2,8}[0-9]{0,2}));")


def _valid_code_point(value: int) -> bool:
    """A character WordPress keeps as a reference (its ``valid_unicode``); it writes others as ``&amp;#…;``."""
    return (value in (0x9, 0xA, 0xD) or 0x20 <= value <= 0xD7FF or 0xE000 <= value <= 0xFFFD
            or 0x10000 <= value <= 0x10FFFF)


def _decoded(entity: re.Match[str]) -> str:
    """A whole character reference decoded as WordPress keeps it: HTML 4's names (``&copy;``), valid code
    points, ``&#128;``–``&#159;`` as Windows-1252 (``&#128;`` is €; the five it leaves undefined, and
    ``&#0;``, are dropped); others (``&check;``, ``&lt3;``, ``&#1;``) stay as written, as WordPress stores
    them with ``&amp;``."""
    decimal, hexadecimal, name = entity.groups()
    if name is not None:
        return chr(name2codepoint[name]) if name in name2codepoint else entity.group()
    value = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if decimal == "0" or (hexadecimal is not None and value == 0):
        return ""  # WordPress drops these (but keeps &#00; as written)
    if decimal is not None and 128 <= value <= 159:  # WordPress reads these as Windows-1252 (&#128; is €)
        return bytes([value]).decode("cp1252", errors="ignore")
    return chr(value) if _valid_code_point(value) else entity.group()


def as_read(text: str) -> str:
    """Text as a reader sees it, and where it links to: tags dropped but for links' targets, character
    references decoded as WordPress keeps them (``&amp;``, ``&#038;``; not ``&section=2``, which it stores as
    ``&amp;section=2``, nor ``&lt3;``), runs of white space as one space."""
    return " ".join(_ENTITY.sub(_decoded, _TAG.sub(_link_target, text)).split())


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

    @property
    def queued(self) -> bool:
        """Held for this service's moderators: not when its site reviews held comments elsewhere (Coral)."""
        return self.decision is Decision.HOLD and not self.extra.get("reviewed_elsewhere")
