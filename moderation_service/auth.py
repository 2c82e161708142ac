"""API keys with roles, loaded from configuration; only their SHA-256 digests are kept in memory.

Key file (JSON), or the same JSON in ``MODERATION_API_KEYS``::

    {"keys": [
      {"name": "kommblog", "role": "blog", "sites": ["kommblog"], "key": "…"},
      {"name": "anna", "role": "moderator", "sites": ["*"], "sha256": "…hex digest of the key…"},
      {"name": "ops", "role": "admin", "key": "…"},
      {"name": "prometheus", "role": "monitor", "key": "…"}
    ]}

A ``blog`` key submits comments to, and reads comments of, its own sites. A ``moderator`` key works the
review queue of its sites (``"*"``: all) and reads their comments. An ``admin`` key may do everything. A
``monitor`` key reads ``/metrics`` and ``/readyz``'s details only (give it to Prometheus, not an admin key).
Keys are never logged: a key's ``name`` identifies it in logs and audit entries.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from .exceptions import ConfigurationError, Forbidden, describe_validation

SITE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z"
ALL_SITES = "*"


class Role(str, Enum):
    BLOG = "blog"
    MODERATOR = "moderator"
    ADMIN = "admin"
    MONITOR = "monitor"


class Permission(str, Enum):
    SUBMIT = "comments:submit"
    READ = "comments:read"
    REVIEW = "review"
    OPERATE = "operate"
    METRICS = "metrics"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BLOG: frozenset({Permission.SUBMIT, Permission.READ}),
    Role.MODERATOR: frozenset({Permission.READ, Permission.REVIEW}),
    Role.ADMIN: frozenset(Permission),
    Role.MONITOR: frozenset({Permission.METRICS}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name, role and sites."""

    name: str
    role: Role
    sites: frozenset[str] = field(default_factory=frozenset)
    #: A key of 12 hex digits, as WordPress's Akismet plugin needs: valid for the Akismet protocol only.
    akismet_only: bool = False

    def can(self, permission: Permission, site_id: str | None = None) -> bool:
        if permission not in ROLE_PERMISSIONS[self.role]:
            return False
        return site_id is None or self.role is Role.ADMIN or ALL_SITES in self.sites or site_id in self.sites

    def require(self, permission: Permission, site_id: str | None = None) -> None:
        if permission not in ROLE_PERMISSIONS[self.role]:
            raise Forbidden(f"The key '{self.name}' (role {self.role.value}) may not do this; use a key with "
                            f"a role that has the {permission.value} permission.")
        if not self.can(permission, site_id):
            raise Forbidden(f"The key '{self.name}' is not valid for site '{site_id}'.")


#: A key as WordPress's Akismet plugin takes one: exactly 12 characters (it refuses others without asking),
#: of which its settings page keeps only the hex digits. 48 bits: allowed for blog keys only.
AKISMET_KEY = re.compile(r"[0-9a-fA-F]{12}")


class _KeySchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.Enum(Role, by_value=True, required=True)
    sites = fields.List(fields.String(validate=validate.Regexp(rf"{SITE_ID_PATTERN}|^\*\Z")), load_default=list)
    key = fields.String(load_default=None)
    sha256 = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}\Z"), load_default=None)
    #: For Akismet calls only: said of a short key stored as ``sha256`` (a 12-digit ``key`` is so anyway).
    akismet_only = fields.Boolean(load_default=False)

    @validates_schema
    def _one_secret(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("key") is None) == (data.get("sha256") is None):
            raise ValidationError("give exactly one of 'key' (at least 16 characters) or 'sha256'")
        key = data.get("key")
        if key is not None and len(key) < 16 and not (data["role"] is Role.BLOG and AKISMET_KEY.fullmatch(key)):
            raise ValidationError("a 'key' has at least 16 characters; only a blog key may instead be exactly 12 hex "
                                  "digits, the only length WordPress's Akismet plugin accepts")
        if data["role"] in (Role.BLOG, Role.MODERATOR) and not data.get("sites"):
            raise ValidationError("a blog or moderator key needs 'sites' (a list of site ids, or [\"*\"])")


class _KeyFileSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # refused below, without their names

    keys = fields.List(fields.Nested(_KeySchema), required=True, validate=validate.Length(min=1))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _only_keys(self, _: dict[str, Any], original: Any, **__: Any) -> None:
        # A top-level name other than "keys" is often a key itself ({"<key>": {"role": …}}): marshmallow's
        # "<name>: Unknown field." would print it in the configuration error.
        others = len(set(original) - {"keys"}) if isinstance(original, dict) else 0
        if others:
            raise ValidationError(
                f'the top level holds only "keys", a list of keys, each {{"name", "role", "sites", "key" or '
                f'"sha256"}}; {others} other field(s) found (not named here: they could be keys)'
            )


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Keyring:
    """Maps presented keys (by digest) to principals."""

    def __init__(self, principals: dict[str, Principal]) -> None:
        self._by_digest = principals

    def __len__(self) -> int:
        return len(self._by_digest)

    def __repr__(self) -> str:  # never show digests
        return f"Keyring({len(self)} keys)"

    def authenticate(self, presented: str) -> Principal | None:
        return self._by_digest.get(digest(presented))

    def by_digest(self, key_digest: str) -> Principal | None:
        """The principal of a key known only by its digest (a moderator's web session keeps no key)."""
        return self._by_digest.get(key_digest)

    @classmethod
    def from_json(cls, text: str, origin: str) -> Keyring:
        try:
            data = _KeyFileSchema().load(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{origin}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        except ValidationError as exc:
            raise ConfigurationError(f"{origin}: {describe_validation(exc.messages)}") from None
        principals: dict[str, Principal] = {}
        for entry in data["keys"]:
            key_digest = entry["sha256"] or digest(entry["key"])
            if key_digest in principals:
                raise ConfigurationError(f"{origin}: the key of '{entry['name']}' is used twice")
            short = bool(entry.get("key")) and len(entry["key"]) < 16
            principals[key_digest] = Principal(entry["name"], entry["role"], frozenset(entry["sites"]),
                                               akismet_only=short or entry["akismet_only"])
        return cls(principals)


def load_keyring(api_keys_json: str | None, api_keys_file: Path | None) -> Keyring:
    if api_keys_json:
        return Keyring.from_json(api_keys_json, "MODERATION_API_KEYS")
    if api_keys_file is None:
        raise ConfigurationError("no API keys: set MODERATION_API_KEYS_FILE or MODERATION_API_KEYS")
    try:
        text = api_keys_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"MODERATION_API_KEYS_FILE: cannot read {api_keys_file} ({exc.strerror})") from None
    return Keyring.from_json(text, f"MODERATION_API_KEYS_FILE ({api_keys_file})")


def write_starter_keys(path: Path, site_id: str = "default") -> dict[str, str]:
    """Create a key file with one key per role for a first run; returns name -> key."""
    # Hexadecimal: WordPress's Akismet settings page keeps only the hex digits of a key it is given.
    keys = {role: secrets.token_hex(20) for role in ("blog", "moderator", "admin", "monitor")}
    content = {
        "keys": [
            {"name": f"{site_id}-blog", "role": "blog", "sites": [site_id], "key": keys["blog"]},
            {"name": "moderator", "role": "moderator", "sites": ["*"], "key": keys["moderator"]},
            {"name": "admin", "role": "admin", "key": keys["admin"]},
            {"name": "monitor", "role": "monitor", "key": keys["monitor"]},
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
    return keys
