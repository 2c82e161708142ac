"""The service's errors. Each HTTP-facing error knows its status, a stable code and a message saying what to do."""

from __future__ import annotations

from typing import Any


class ConfigurationError(Exception):
    """Settings, key or site configuration that cannot be used; raised at start-up."""


class ModerationError(Exception):
    """Base of the errors the error middleware turns into JSON responses."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class MalformedRequest(ModerationError):
    status = 400
    code = "malformed_request"


class InvalidFields(ModerationError):
    status = 422
    code = "invalid_fields"


class Unauthenticated(ModerationError):
    status = 401
    code = "unauthenticated"


class Forbidden(ModerationError):
    status = 403
    code = "forbidden"


class NotFound(ModerationError):
    status = 404
    code = "not_found"


class Conflict(ModerationError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ModerationError):
    status = 413
    code = "payload_too_large"


class StorageUnavailable(ModerationError):
    status = 503
    code = "storage_unavailable"


def describe_validation(messages: Any, prefix: str = "") -> str:
    """Marshmallow's nested messages as ``path.to.field: message; …`` for one-line configuration errors."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            if key == "value":  # marshmallow's marker for a dict value's own errors
                parts.append(describe_validation(value, prefix))
                continue
            path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or str(key))
            parts.append(describe_validation(value, path if key != "_schema" else prefix))
        return "; ".join(p for p in parts if p)
    if isinstance(messages, list):
        texts = [describe_validation(m, prefix) if isinstance(m, dict | list) else str(m) for m in messages]
        return f"{prefix}: {' '.join(texts)}" if prefix and all(not isinstance(m, dict | list) for m in messages) \
            else "; ".join(texts)
    return f"{prefix}: {messages}" if prefix else str(messages)
