"""The project's training schema: one labelled comment per JSON line.

The service writes it (moderator decisions, Akismet submit-spam/ham, Perspective suggestscore) and the
training package reads it, so both sides share this one definition::

    {"content": "Tolle Analyse!", "labels": {"spam": 0, "toxicity": 0}, "lang": "de", "source": "moderator"}

``content`` and ``labels`` are required; ``labels`` names any non-empty subset of the model's attributes
with 0 or 1, and an attribute left out is unknown (the example does not train that score). The comment's
other fields (``site_id``, ``author_name``, …) may ride along; unknown fields are ignored.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from .model.attributes import ATTRIBUTES


class LabelledExampleSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    content = fields.String(required=True, validate=validate.Length(min=1))
    labels = fields.Dict(keys=fields.String(), values=fields.Integer(strict=False), required=True)
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
