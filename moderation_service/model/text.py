"""Text normalisation shared by training and scoring.

Everything the model sees passes through :func:`normalize` first, so training data and live comments are
reduced the same way: HTML entities and tags, invisible characters, Unicode compatibility forms, URLs and
@-mentions. Dataset-specific artefacts (``|LBR|`` markers, R-escaped emoji) are undone by the dataset
loaders, not here.
"""

from __future__ import annotations

import html
import re
import unicodedata

from ..links import BARE_LINK, may_hold_bare_link

# Zero-width and other invisible format characters that spammers use to split words and that some
# datasets leave at the end of texts (U+FEFF in the YouTube sets depends on the class).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"))
# A link tag, then its href: two linear scans. (One pattern for both took seconds of backtracking on a comment
# of repeated "<a href=" without a closing ">".) A tag's text is bounded and holds no "<": real ones do not.
_A_TAG = re.compile(r"<a\b([^<>]{0,2000})>", re.IGNORECASE)
_HREF = re.compile(r"""\bhref\s*=\s*["']?([^"'\s]+)""", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']*", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w.])@\w+")
_SPACE = re.compile(r"\s+")
# A run of exclamation and question marks, as its first mark (see normalize's ``collapse_marks``).
_MARKS = re.compile(r"([!?])[!?]+")
_LINK_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def has_text(text: str) -> bool:
    """Whether ``text`` has anything to read: a character that is neither white space nor an invisible format
    character (Unicode's category Cf: zero-width spaces and joiners, direction marks, the soft hyphen, the
    byte-order mark). A comment of nothing else is empty, as the model reads it."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


def _link_target(tag: re.Match[str]) -> str:
    href = _HREF.search(tag.group(1))
    return f" {href.group(1)} " if href else tag.group(0)


def strip_html(text: str) -> str:
    """Reduce HTML to text: link targets are kept (they matter for spam), other tags go, entities resolve."""
    if "<" in text:
        text = _A_TAG.sub(_link_target, text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(html.unescape(text))
    return text


def _url_token(match: re.Match[str]) -> str:
    # A URL becomes " URL host " so that the model learns from links in general and from their hosts,
    # not from one dataset's path or tracking parameters (and truncated "http://" carries no host).
    rest = _LINK_PREFIX.sub("", match.group(0))
    host = rest.split("/", 1)[0].split("?", 1)[0].strip(".,;:!)(").lower()
    return f" URL {host} " if host else " URL "


def normalize(text: str, collapse_marks: bool = False, bare_links: bool = False) -> str:
    """Return the canonical form of a comment's text for the model.

    ``collapse_marks`` reads a run of exclamation and question marks as its first mark ("!!!" as "!"). The
    offensive tweets of the training data shout, so a model that saw runs learnt to weigh "!!!" like an
    insult: "Toller Artikel!!!" was held as toxic (0.57), "Toller Artikel!" not (0.12). Models trained since
    2026-11-27 collapse them (their pipeline's normalise step says so); older ones keep reading runs, as they
    were trained to.

    ``bare_links`` reads a link written without "http://" or "www." ("bit.ly/x1", "oldchat.tk") as a link too
    (" URL host "). Spam writes links so to get past link filters; read as words, "adf.ly /KlD3Y" scored spam
    0.02. Models trained since 2026-11-28 read them so; older ones read them as words, as they were trained to.
    """
    text = strip_html(text)
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = _URL.sub(_url_token, text)
    text = _MENTION.sub("@USER", text)
    return with_options(_SPACE.sub(" ", text).strip(), collapse_marks, bare_links)


def with_options(normalized: str, collapse_marks: bool = False, bare_links: bool = False) -> str:
    """A plain normal form (``normalize(text)``) with the model's options applied: the one place that knows
    what each option does, for :func:`normalize` and for training, whose corpus keeps the plain form."""
    if collapse_marks and ("!!" in normalized or "?" in normalized):
        normalized = _MARKS.sub(r"\1", normalized)
    if bare_links and may_hold_bare_link(normalized):
        normalized = _SPACE.sub(" ", BARE_LINK.sub(_url_token, normalized)).strip()
    return normalized
