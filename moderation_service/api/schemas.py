"""Request and response bodies of the ``/v1`` API, as marshmallow schemas built once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from ..auth import SITE_ID_PATTERN
from ..comments import Record

_ID = validate.Length(min=1, max=200)
_SHORT = validate.Length(max=500)
MAX_URL_CHARS = 2000
_URL = validate.Length(max=MAX_URL_CHARS)


class Identifier(fields.String):
    """An id of the blog's (comment, post, parent): a string, or a whole number as many blogs' ids are, kept as
    its decimal string (``4711`` and ``"4711"`` name the same comment)."""

    default_error_messages = {"invalid": "Use a string or a whole number.",
                              "inexact": "A whole number this large cannot be read exactly: send the id as a string."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, float) and value.is_integer() and abs(value) >= 2**63:
            raise self.make_error("inexact")  # JSON read a whole number beyond 64 bits as a double
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class StrictSchema(Schema):
    """A request body or query at the edge: a field it does not know is an error that names it."""

    class Meta:
        unknown = RAISE


SITE_ID = validate.Regexp(SITE_ID_PATTERN, error="Use 1-64 letters, digits, '.', '_' or '-', starting with a "
                                                 "letter or digit.")


#: What a time or an IP address that cannot be read is told: the form to send.
ISO_TIME = {"invalid": "Use an ISO 8601 time such as '2026-11-28T14:05:00Z' or '2026-11-28T15:05:00+01:00' "
                       "(UTC if no zone)."}
IP_ADDRESS = {"invalid_ip": "Use one IPv4 or IPv6 address, such as '203.0.113.7' or '2001:db8::7'."}


class CommentSchema(Schema):
    """A new comment as the blog posts it. Only ``site_id`` and ``content`` are required."""

    class Meta:
        unknown = RAISE

    site_id = fields.String(required=True, validate=SITE_ID)
    content = fields.String(required=True)  # length checked against the configured limit in the handler
    comment_id = Identifier(load_default=None, validate=_ID)
    post_id = Identifier(load_default=None, validate=_ID)
    permalink = fields.String(load_default=None, validate=_URL)
    author_name = fields.String(load_default=None, validate=_SHORT)
    # Lenient on purpose: spam bots send junk addresses and URLs, and junk is evidence, not an error.
    author_email = fields.String(load_default=None, validate=validate.Length(max=320))
    author_url = fields.String(load_default=None, validate=_URL)
    author_ip = fields.IP(load_default=None, error_messages=IP_ADDRESS)
    user_agent = fields.String(load_default=None, validate=_URL)
    referrer = fields.String(load_default=None, validate=_URL)
    parent_id = Identifier(load_default=None, validate=_ID)
    lang = fields.String(load_default=None, validate=validate.Regexp(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z", error="Use a language tag such as 'de' or 'en-GB'."))
    submitted_at = fields.AwareDateTime(load_default=None, default_timezone=UTC, error_messages=ISO_TIME)
    type = fields.String(load_default=None, validate=validate.Length(max=40))
    honeypot = fields.String(load_default=None, validate=validate.Length(max=2000))
    form_rendered_at = fields.AwareDateTime(load_default=None, default_timezone=UTC, error_messages=ISO_TIME)


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decision_body(record: Record, **extra: Any) -> dict[str, Any]:
    """What ``POST /v1/comments`` and ``GET /v1/comments/{id}`` answer.

    Built directly rather than dumped through a schema: the record is our own, already validated data, and
    this runs on every request.
    """
    held = record.queued
    return {
        "id": record.id,
        "site_id": record.comment.site_id,
        "comment_id": record.comment.comment_id,
        "decision": record.decision.value,
        "status": record.status.value,
        "scores": record.scores,
        "reasons": record.reasons,
        "model_version": record.model_version,
        "review_item_id": record.id if held else None,
        "received_at": iso(record.received_at),
        "revision": record.revision,
        **extra,
    }


COMMENT_SCHEMA = CommentSchema()
