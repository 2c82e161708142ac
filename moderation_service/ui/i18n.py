"""German and English: every UI string lives in ``strings/<language>.json`` (one file per language).

Both the templates (``t.key``) and the page's JavaScript (the same dictionary, handed over as JSON) use them.
Placeholders are ``{name}``; keys ending in ``_one``/``_other`` are plural forms.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from aiohttp import web

from ..exceptions import ConfigurationError

STRINGS_DIR = Path(__file__).parent / "strings"
LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_COOKIE = "moderation_lang"

Strings = Mapping[str, Mapping[str, str]]


def load_strings() -> Strings:
    """Both languages; a key missing from one of them is a packaging error, so it fails at start-up."""
    loaded = {lang: json.loads((STRINGS_DIR / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES}
    reference = set(loaded[DEFAULT_LANGUAGE])
    for lang, strings in loaded.items():
        if set(strings) != reference:
            difference = sorted(set(strings) ^ reference)
            raise ConfigurationError(f"UI strings: {lang}.json and {DEFAULT_LANGUAGE}.json differ in {difference}")
    return MappingProxyType({lang: MappingProxyType(strings) for lang, strings in loaded.items()})


def language_of(request: web.Request) -> str:
    """The language chosen with the switch (a cookie), else German."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE
