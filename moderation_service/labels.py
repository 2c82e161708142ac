"""The project's training schema: one labelled comment per JSON line.

The service writes it (moderator decisions, Akismet submit-spam/ham, Perspective suggestscore) and the
training package reads it, so both sides share this one definition::

    {"content": "Tolle Analyse!", "labels": {"spam": 0, "toxicity": 0}, "lang": "de", "source": "moderator"}

``content`` and ``labels`` are required; ``labels`` names any non-empty subset of the model's attributes
with 0 or 1, and an attribute left out is unknown (the example does not train that score). Unknown fields
are ignored.

The examples the service collects keep, of the comment, only its text and where it stood
(:data:`LABELLED_COMMENT_FIELDS`): never who wrote it (name, e-mail, website, IP address, browser,
referrer). Training needs none of that, and labels are kept far longer than the comment's record, which
holds those fields for the moderators and expires.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from .model.attributes import ATTRIBUTES

#: The comment's fields a collected example keeps besides its text (see the module's docstring).
LABELLED_COMMENT_FIELDS = ("site_id", "comment_id", "post_id", "permalink", "parent_id", "lang", "type", "submitted_at")


def without_personal_fields(example: dict[str, Any]) -> dict[str, Any]:
    """An example as collected now: the training schema's own fields and :data:`LABELLED_COMMENT_FIELDS`
    (an example stored before personal fields were left out loses them on the way out)."""
    return {name: value for name, value in example.items()
            if name in LABELLED_COMMENT_FIELDS or name in LabelledExampleSchema._declared_fields}


class _Label(fields.Integer):
    """A label's value as a whole number (``1``, ``1.0`` or ``"1"``): ``int()`` would make a 0.9 a 0."""

    default_error_messages = {"invalid": "Labels must be 0 or 1."}

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class LabelledExampleSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    content = fields.String(required=True, validate=validate.Length(min=1))
    labels = fields.Dict(keys=fields.String(), values=_Label(), required=True)
    lang = fields.String(load_default=None, allow_none=True)
    source = fields.String(load_default="jsonl")
    weight = fields.Float(load_default=1.0, validate=validate.Range(min=0, min_inclusive=False))
    site_id = fields.String(load_default=None, allow_none=True)
    comment_id = fields.String(load_default=None, allow_none=True)
    labelled_at = fields.String(load_default=None, allow_none=True)
    labelled_by = fields.String(load_default=None, allow_none=True)

    @validates("labels")
    def _check_labels(self, value: dict[str, Any], **_: Any) -> None:
        if not value:
            raise ValidationError(f"Give at least one label; known labels are {', '.join(ATTRIBUTES)}.")
        unknown = sorted(set(value) - set(ATTRIBUTES))
        if unknown:
            raise ValidationError(f"Unknown label(s) {unknown}; use only {', '.join(ATTRIBUTES)}.")
        bad = sorted(k for k, v in value.items() if v not in (0, 1))
        if bad:
            raise ValidationError(f"Label(s) {bad} must be 0 or 1.")


LABELLED_EXAMPLE_SCHEMA = LabelledExampleSchema()
