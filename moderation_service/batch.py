"""Batch scoring of JSONL comments through the same evaluator the API uses."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import IO, Any

from marshmallow import EXCLUDE, ValidationError, fields

from .api.schemas import SITE_ID, CommentSchema
from .comments import Comment
from .decisions import Evaluator
from .jsonfast import loads_object
from .model.text import has_text


class ScoreInputSchema(CommentSchema):
    """A line of ``score`` input: the API's comment fields plus the caller's own ``id``."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Raw(required=True, allow_none=True)  # any JSON value, null too
    site_id = fields.String(load_default=None, validate=SITE_ID)  # none: the --site given


SCORE_INPUT_SCHEMA = ScoreInputSchema()


def _comment(data: dict[str, Any], default_site: str) -> Comment:
    data = dict(data)
    data.pop("id")
    data["site_id"] = data["site_id"] or default_site
    for name in ("submitted_at", "form_rendered_at", "author_ip"):
        if data.get(name) is not None:
            data[name] = str(data[name]) if name == "author_ip" else data[name].isoformat()
    return Comment(**data)


def score_lines(
    evaluator: Evaluator, lines: Iterable[str], out: IO[str], default_site: str, max_content_chars: int
) -> int:
    """Write one JSON line per input line; return how many lines could not be scored (reported on stderr)."""
    errors = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        raw: Any = None
        try:
            raw = loads_object(line.encode("utf-8", "surrogateescape"))  # bytes not UTF-8: refused as the API does
            data = SCORE_INPUT_SCHEMA.load(raw)
            if not has_text(data["content"]):  # as the API refuses it
                raise ValueError("content has no text")
            if len(data["content"]) > max_content_chars:
                raise ValueError(f"content longer than {max_content_chars} characters")
        except (ValueError, ValidationError) as exc:
            errors += 1
            message = exc.normalized_messages() if isinstance(exc, ValidationError) else str(exc)
            print(f"line {number}: {json.dumps(message)}", file=sys.stderr)
            ident = raw.get("id") if isinstance(raw, dict) else None
            out.write(json.dumps({"id": ident, "line": number, "error": message}) + "\n")
            continue
        record = evaluator.evaluate(_comment(data, default_site), explain=False)
        out.write(json.dumps({"id": data["id"], "decision": record.decision.value, "scores": record.scores}) + "\n")
    return errors
