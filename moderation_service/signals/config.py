"""Per-site signal settings: defaults here, overrides in the sites file under ``[sites.<id>.signals]``::

    [sites.kommblog.signals]
    disabled = ["language"]
    links = { per_link = 0.8, free = 1 }
    flood = { max_per_ip = 3, window_seconds = 600 }
    words = { banned = ["viagra", "casino"], suspect = ["idiot"] }
    language = { serve = ["de", "en"] }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from marshmallow import Schema, validate
from marshmallow import fields as mfields

from ..language import STOPWORDS

SIGNAL_NAMES = ("honeypot", "timing", "links", "words", "language", "reputation", "duplicates", "flood")


@dataclass(frozen=True)
class SignalConfig:
    disabled: frozenset[str] = frozenset()
    # honeypot: any content in the hidden field
    honeypot_spam: float = 25.0  # certain: outweighs even a trusted author
    # timing: submitted faster than this after the form was rendered
    timing_min_seconds: float = 3.0
    timing_spam: float = 2.5
    # links (log-odds per feature)
    links_free: int = 1
    links_per_link: float = 0.7
    links_max_spam: float = 4.0
    links_author_name: float = 3.0
    links_author_url: float = 0.3
    links_bbcode: float = 2.5
    links_shortener: float = 2.0
    links_link_only: float = 0.0  # a bare link is a reason to look (hold), not proof: a reader may cite a source
    links_link_only_hold: float = 1.0
    # words (matched on normalised text)
    words_banned: tuple[str, ...] = ()
    words_suspect: tuple[str, ...] = ()
    words_banned_spam: float = 8.0
    words_suspect_hold: float = 1.0
    # language
    language_serve: tuple[str, ...] = ()  # empty: every language is served
    language_hold: float = 1.0
    # local reputation
    reputation_spam: float = 3.0
    reputation_max_spam: float = 6.0
    reputation_trusted_after: int = 3
    reputation_trusted_spam: float = -15.0  # "published unless toxic": outweighs the model's spam score
    reputation_ttl_days: int = 90
    # near-duplicate waves
    duplicates_window_seconds: int = 3600
    duplicates_min_copies: int = 3
    duplicates_spam: float = 3.0  # copies that carry a link (in the text, or the author's website): a campaign
    duplicates_hold: float = 1.0  # copies without one: readers may say the same ("Vielen Dank für den Artikel!")
    # flood
    flood_window_seconds: int = 600
    flood_max_per_ip: int = 5
    flood_max_per_author: int = 5
    flood_hold: float = 1.0

    def enabled(self, name: str) -> bool:
        return name not in self.disabled


_NUMBER = {float: mfields.Float, int: mfields.Integer}
#: Settings that are lifetimes of Redis keys: 0 or less would delete what they keep at once.
_LIFETIMES = ("ttl_days", "window_seconds")
#: Counts are at least 1 (0 would make every author trusted, every comment a flood), but for these; weights
#: (log-odds, review points) may be negative.
_LOWEST = {
    "links_free": 0,  # links allowed before each one counts
    "duplicates_min_copies": 2,  # 1: every comment a copy of itself
    "timing_min_seconds": 0,
}


def _section_fields(prefix: str) -> dict[str, mfields.Field]:
    """The fields of one ``[signals.<name>]`` table, from the dataclass fields named ``<name>_…``."""
    section: dict[str, mfields.Field] = {}
    for f in fields(SignalConfig):
        if f.name.startswith(prefix + "_"):
            key = f.name.removeprefix(prefix + "_")
            if f.name == "language_serve":  # another name ("DE", "german") would hold every comment recognised
                section[key] = mfields.List(mfields.String(validate=validate.OneOf(
                    STOPWORDS, error="Must be one of the languages that language detection names: {choices}.")))
            elif isinstance(f.default, tuple):
                section[key] = mfields.List(mfields.String(validate=validate.Length(min=1, max=100)),
                                            validate=validate.Length(max=5000))
            else:
                lowest = _LOWEST.get(f.name, 1 if key.endswith(_LIFETIMES) or isinstance(f.default, int) else -50)
                # strict: a count of 1.5 is refused, not cut to 1
                section[key] = _NUMBER[type(f.default)](validate=validate.Range(min=lowest, max=86400 * 365),
                                                        **({"strict": True} if isinstance(f.default, int) else {}))
    return section


# marshmallow refuses unknown keys by default (RAISE): a misspelt setting is an error, not ignored.
SIGNALS_SCHEMA: Schema = Schema.from_dict(
    {
        "disabled": mfields.List(mfields.String(validate=validate.OneOf(SIGNAL_NAMES))),
        **{name: mfields.Nested(Schema.from_dict(_section_fields(name), name=f"{name}_signal"))
           for name in SIGNAL_NAMES},
    },
    name="signals",
)()


def signal_config(*layers: Mapping[str, Any]) -> SignalConfig:
    """Defaults, then each validated ``signals`` table in order (defaults file section, then the site's)."""
    config = SignalConfig()
    for layer in layers:
        if not layer:
            continue
        changes: dict[str, Any] = {}
        for name, value in layer.items():
            if name == "disabled":
                changes["disabled"] = frozenset(value)
                continue
            for key, setting in value.items():
                changes[f"{name}_{key}"] = tuple(setting) if isinstance(setting, list) else setting
        config = replace(config, **changes)
    return config
