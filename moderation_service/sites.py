"""Per-site configuration from a TOML file (``MODERATION_SITES_FILE``)::

    [defaults.thresholds]          # for every site, over the model's own thresholds
    toxicity = { hold = 0.5 }

    [sites.kommblog]
    name = "Kommunikationsblog"
    urls = ["https://kommblog.example"]            # the blog's addresses (Akismet's 'blog' field)
    webhook_url = "https://kommblog.example/hooks/moderation"   # final decisions are POSTed here
    webhook_secret = "…"                           # HMAC-SHA256 key for the webhook signature
    coral_secret = "…"                             # verifies Coral's X-Coral-Signature
    [sites.kommblog.thresholds]    # for this site, over the defaults
    spam = { hold = 0.4, spam = 0.9 }
    insult = { hold = 0.6 }
    [sites.kommblog.signals]       # see moderation_service.signals.config for every setting
    words = { banned = ["viagra"], suspect = ["idiot"] }
    language = { serve = ["de", "en"] }

    [sites.wpblog.wordpress]       # instead of webhook_url: decisions set the comment's status in WordPress
    url = "https://wpblog.example"
    user = "moderation"                            # a WordPress user who may moderate comments
    application_password = "…"                     # Users → Profile → Application Passwords

The file holds secrets: keep it readable by the service's user only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .auth import SITE_ID_PATTERN
from .exceptions import ConfigurationError, describe_validation
from .model.attributes import ATTRIBUTES
from .signals.config import SIGNALS_SCHEMA, SignalConfig, signal_config

Overrides = Mapping[str, Mapping[str, float]]


class _ThresholdSchema(Schema):
    class Meta:
        unknown = RAISE

    hold = fields.Float(validate=validate.Range(0, 1))
    spam = fields.Float(validate=validate.Range(0, 1))


class _ThresholdsField(fields.Dict):
    def __init__(self) -> None:
        super().__init__(keys=fields.String(validate=validate.OneOf(ATTRIBUTES)),
                         values=fields.Nested(_ThresholdSchema), load_default=dict)


class _WordPressSchema(Schema):
    class Meta:
        unknown = RAISE

    url = fields.Url(require_tld=False, schemes={"http", "https"}, required=True)
    user = fields.String(required=True, validate=validate.Length(min=1))
    application_password = fields.String(required=True, validate=validate.Length(min=1))

    @validates_schema
    def _login_name(self, data: dict[str, Any], **_: Any) -> None:
        if "@" in data.get("user", ""):
            raise ValidationError("user: give the login name of a WordPress user for this service alone, without "
                                  "'@' (not an e-mail address): the Akismet plugin names the login when it reports "
                                  "this service's changes back, and those reports are recognised by it",
                                  field_name="user")

    @validates_schema
    def _no_credentials_in_url(self, data: dict[str, Any], **_: Any) -> None:
        if "@" in urlsplit(data.get("url", "")).netloc:
            raise ValidationError("url: give WordPress's address without a user or password in it; they go in "
                                  "user and application_password", field_name="url")


class _SiteSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(load_default=None)
    urls = fields.List(fields.Url(require_tld=False), load_default=list)
    webhook_url = fields.Url(require_tld=False, schemes={"http", "https"}, load_default=None)
    webhook_secret = fields.String(validate=validate.Length(min=16), load_default=None)
    coral_secret = fields.String(validate=validate.Length(min=16), load_default=None)
    wordpress = fields.Nested(_WordPressSchema, load_default=None)
    review = fields.String(validate=validate.OneOf(["here", "elsewhere"]), load_default=None)
    thresholds = _ThresholdsField()
    signals = fields.Nested(SIGNALS_SCHEMA, load_default=dict)

    @validates_schema
    def _webhook_needs_secret(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("webhook_url") and not data.get("webhook_secret"):
            raise ValidationError("webhook_url needs webhook_secret (at least 16 characters) to sign deliveries")
        if data.get("webhook_url") and data.get("wordpress"):
            raise ValidationError("decisions go either to webhook_url or to WordPress ([sites.<id>.wordpress]), "
                                  "not both: remove one")

    @validates_schema
    def _spam_only_for_spam(self, data: dict[str, Any], **_: Any) -> None:
        for attribute, values in data.get("thresholds", {}).items():
            if "spam" in values and attribute != "spam":
                raise ValidationError(f"'{attribute}' takes only 'hold'; 'spam' applies to the spam score")
            spam = data.get("thresholds", {}).get("spam", {})
            if "spam" in spam and "hold" in spam and spam["spam"] < spam["hold"]:
                raise ValidationError("spam.spam must not be below spam.hold")


class _SitesFileSchema(Schema):
    class Meta:
        unknown = RAISE

    defaults = fields.Nested(_SiteSchema, load_default=lambda: {"name": None, "thresholds": {}, "signals": {}})
    sites = fields.Dict(keys=fields.String(validate=validate.Regexp(SITE_ID_PATTERN)),
                        values=fields.Nested(_SiteSchema), load_default=dict)


@dataclass(frozen=True)
class WordPressConfig:
    """A WordPress blog that hears its moderators' decisions through its own REST API (see
    :mod:`moderation_service.review.wordpress`): its address, and a user's application password."""

    url: str
    user: str
    application_password: str = field(repr=False)


@dataclass(frozen=True)
class SiteConfig:
    site_id: str
    name: str | None = None
    urls: tuple[str, ...] = ()
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    coral_secret: str | None = field(default=None, repr=False)
    #: Set: final decisions go to this WordPress blog's REST API instead of to a webhook.
    wordpress: WordPressConfig | None = None
    #: Where held comments are reviewed: ``here`` (this service's queue) or ``elsewhere`` (the comment
    #: system's own, as Coral's: held comments are kept, and expire, but wait in no queue here); None: as
    #: the defaults say, else here.
    review: str | None = None
    thresholds: Overrides = field(default_factory=dict)
    #: The validated ``signals`` table as written (see :mod:`moderation_service.signals.config`).
    signals: Mapping[str, Any] = field(default_factory=dict)

    @property
    def hears_decisions(self) -> bool:
        """Whether the blog is told of final decisions (a webhook, or its WordPress REST API)."""
        return bool(self.webhook_url or self.wordpress)


@dataclass(frozen=True)
class Sites:
    defaults: SiteConfig = field(default_factory=lambda: SiteConfig("*"))
    sites: Mapping[str, SiteConfig] = field(default_factory=dict)

    def get(self, site_id: str) -> SiteConfig:
        return self.sites.get(site_id) or SiteConfig(site_id)

    def overrides_for(self, site_id: str) -> list[Overrides]:
        """Threshold overrides in the order they apply: defaults, then the site's own."""
        return [self.defaults.thresholds, self.get(site_id).thresholds]

    def reviews_here(self, site_id: str) -> bool:
        """Whether the site's held comments wait in this service's review queue."""
        return (self.get(site_id).review or self.defaults.review or "here") == "here"

    def signals_for(self, site_id: str) -> SignalConfig:
        """Signal settings: built-in defaults, then the defaults table, then the site's own."""
        return signal_config(self.defaults.signals, self.get(site_id).signals)


def load_sites(path: Path | None) -> Sites:
    if path is None:
        return Sites()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"MODERATION_SITES_FILE: cannot read {path} ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"MODERATION_SITES_FILE: {path} is not valid TOML ({exc})") from None
    try:
        data = _SitesFileSchema().load(raw)
    except ValidationError as exc:
        raise ConfigurationError(f"MODERATION_SITES_FILE: {path}: {describe_validation(exc.messages)}") from None
    defaults = SiteConfig("*", data["defaults"].get("name"), thresholds=data["defaults"].get("thresholds", {}),
                          signals=data["defaults"].get("signals", {}), review=data["defaults"].get("review"))
    sites = {sid: _site_config(sid, values) for sid, values in data["sites"].items()}
    return Sites(defaults, sites)


def _site_config(site_id: str, values: dict[str, Any]) -> SiteConfig:
    return SiteConfig(
        site_id,
        name=values.get("name"),
        urls=tuple(values.get("urls", ())),
        webhook_url=values.get("webhook_url"),
        webhook_secret=values.get("webhook_secret"),
        coral_secret=values.get("coral_secret"),
        wordpress=WordPressConfig(**values["wordpress"]) if values.get("wordpress") else None,
        review=values.get("review"),
        thresholds=values.get("thresholds", {}),
        signals=values.get("signals", {}),
    )
