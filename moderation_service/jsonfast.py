"""JSON on the request path: orjson where it can, the standard library where it cannot.

orjson is several times faster than the standard library and strict where a client's JSON must be read
strictly: it refuses ``NaN`` and ``Infinity`` (not JSON, but ``json.loads`` reads them), numbers too large
for a double, and nesting deeper than 1,024 levels (``json.loads`` overflows the stack, or refuses a
5,000-digit integer with a ``ValueError`` of its own). It also refuses half of a surrogate pair escaped alone
(``"\\ud800"``), which is not a character: there the standard library reads the text and the half
becomes U+FFFD, so a comment with one is still scored and kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from aiohttp import web

# An escaped surrogate: only a text with one can have failed orjson for a lone half.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BOM = "\ufeff"
_CONSTANT = re.compile(r"-?(?:NaN|Infinity)\b")
_TOO_DEEP = "JSON nested too deeply (more than 1,024 levels)"


class NotJsonObject(ValueError):
    """The text is not one JSON object. The message completes "The body is …" or "line 3: …": it says what
    is wrong and where, in words for whoever sent it."""


def _without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value


def _invalid(exc: json.JSONDecodeError) -> NotJsonObject:
    if "depth limit" in exc.msg:  # orjson's wording
        return NotJsonObject(_TOO_DEEP)
    # orjson stops at the N of NaN, or after the sign of -Infinity: say which word, not "unexpected character".
    expected_value = "expected a JSON value" in exc.msg or "no digit after sign" in exc.msg
    constant = expected_value and (_CONSTANT.match(exc.doc, max(exc.pos - 1, 0)) or _CONSTANT.match(exc.doc, exc.pos))
    if constant:
        return NotJsonObject(f"not valid JSON ({constant.group()} is not a JSON number; send a number or null, "
                             f"at line {exc.lineno} column {exc.colno})")
    return NotJsonObject(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number; send a number or null")


def _lenient_about_surrogates(text: str) -> Any:
    """The standard library's reading of a text orjson refused, as strict as orjson but for lone surrogates."""
    try:
        return _without_lone_surrogates(json.loads(text, parse_constant=_refuse_constant))
    except json.JSONDecodeError as exc:
        raise _invalid(exc) from None
    except RecursionError:
        raise NotJsonObject(_TOO_DEEP) from None
    except ValueError as exc:  # NaN or Infinity, or an integer of more than 4,300 digits
        reason = str(exc) if "JSON number" in str(exc) else "a number with more than 4,300 digits"
        raise NotJsonObject(f"not valid JSON ({reason})") from None


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
               type(None): "null"}


def loads_object(text: bytes | str) -> dict[str, Any]:
    """One JSON object from a client, read strictly (see the module docstring); a leading BOM is allowed.

    Raises :class:`NotJsonObject` saying what is wrong and where."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotJsonObject(f"not valid JSON (not UTF-8: byte {exc.start + 1} cannot be read)") from None
    text = text.removeprefix(_BOM)
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if not _SURROGATE_ESCAPE.search(text):
            raise _invalid(exc) from None
        data = _lenient_about_surrogates(text)
    if not isinstance(data, dict):
        raise NotJsonObject(f"JSON but {_JSON_TYPES.get(type(data), 'not an object')}, not an object")
    return data


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII characters kept as they are."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, or a type orjson does not know
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_response(value: Any, *, status: int = 200, headers: Any = None) -> web.Response:
    """``aiohttp.web.json_response`` through :func:`dumps`."""
    return web.json_response(value, status=status, headers=headers, dumps=dumps)
