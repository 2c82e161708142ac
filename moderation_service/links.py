"""What counts as a link in a comment: the one definition that the model, the links signal and the link
domains of reputation share."""

from __future__ import annotations

import re

#: A link with a scheme or "www.": what the links signal counts and whose host names become domain identities.
LINK = re.compile(r"""(?:https?://|www\.)[^\s<>"'\]\[]+""", re.IGNORECASE)

# Top-level domains of links written without a scheme. Those that are also common words or abbreviations
# after a full stop missing its space ("in", "at", "to", "me", "it", "be", "is", ...) count only with a path
# ("9nl.me/x", not "call.me"); file names ("app.py", "setup.exe") end in none of them.
_TOP_LEVEL = (
    "com|net|org|info|biz|edu|gov|io|co|ly|tk|ml|ga|cf|gq|de|ch|nl|uk|eu|ru|su|ua|pl|cz|fr|es|pt|dk|se|fi|ca|au|nz|"
    "br|mx|ar|jp|cn|kr|tw|hk|sg|vn|xyz|top|online|site|shop|club|store|app|dev|blog|live|tv|fm|cc|ws|pw|gl|gd|bz|"
    "la|mobi|name|pro|asia|link|click|win|bid|vip|fun|space|website|tech|icu|gdn|cx|nu|ms|vu|im|am|ag|sc|li|lu|ro|"
    "hu|gr|tr|ir|vg"
)
_TOP_LEVEL_WITH_PATH = "in|at|to|me|it|be|no|us|my|so|do|is|id|ai|gg|st|tl"

#: A link written without "http://" or "www." ("bit.ly/x1", "oldchat.tk", "gofundme.com/abc"), as spam writes
#: links to get past link filters: host labels, a top-level domain of the list above, an optional path. Not
#: after "@" (an e-mail address) or inside a word, and not after "URL " (the model's normal form writes every
#: link as "URL host": reading a normal form again finds no new link in it).
BARE_LINK = re.compile(
    r"(?<![\w@.\-/])(?<!URL )(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    rf"(?:(?:{_TOP_LEVEL})\b(?:/[^\s<>\"']*)?|(?:{_TOP_LEVEL_WITH_PATH})/[^\s<>\"']*)",
    re.IGNORECASE,
)

#: Either kind of link.
ANY_LINK = re.compile(f"{LINK.pattern}|{BARE_LINK.pattern}", re.IGNORECASE)

# What every link without a scheme holds: a letter or digit, a full stop, two letters (its top-level domain).
# Python's engine tries BARE_LINK at every position of a text (12 µs for a comment of the benchmark mix); this
# simple pattern rules out most texts in a quarter of that time.
_MAYBE_BARE = re.compile(r"[a-z0-9]\.[a-z]{2}", re.IGNORECASE)


def may_hold_bare_link(text: str) -> bool:
    """False when ``text`` certainly holds no link without a scheme (BARE_LINK finds nothing in it)."""
    return _MAYBE_BARE.search(text) is not None


def links_of(text: str) -> re.Pattern[str]:
    """The pattern that finds every link of ``text``: ANY_LINK, or LINK alone where no bare link can be."""
    return ANY_LINK if may_hold_bare_link(text) else LINK
