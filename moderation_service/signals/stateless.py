"""Signals that need nothing but the comment: honeypot, time to submit, links, word lists, language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

from ..comments import Comment
from ..language import detect
from ..links import ANY_LINK, LINK, may_hold_bare_link
from .base import Hit
from .config import SignalConfig
from .textfold import fold, fold_term

# A link, with a scheme or without (what identities count too), or an HTML link tag, whose href the text may
# not show as a link. The href is looked for up to the tag's end and within 2,000 characters: an unbounded look
# backtracked over the whole comment from every "<a " in it. A link in the href is part of the tag's match, so
# that a tag and its address count as one link.
_A_HREF = r"|<a\s[^<>]{{0,2000}}?href(?:\s*=\s*[\"']?(?:{link}))?"
_URL = re.compile(LINK.pattern + _A_HREF.format(link=LINK.pattern), re.IGNORECASE)
_ANY_URL = re.compile(ANY_LINK.pattern + _A_HREF.format(link=ANY_LINK.pattern), re.IGNORECASE)
_BBCODE = re.compile(r"\[url[=\]]", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
SHORTENERS = frozenset({
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly", "shorturl.at",
    "tiny.cc", "rb.gy", "t.ly", "s.id", "v.gd", "bl.ink", "lnkd.in", "soo.gd", "shorte.st", "adf.ly", "ouo.io",
})


def honeypot(comment: Comment, config: SignalConfig) -> Iterator[Hit]:
    if comment.honeypot:
        yield Hit("honeypot", spam=config.honeypot_spam, evidence={"filled": True})


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def timing(comment: Comment, config: SignalConfig, received_at: datetime) -> Iterator[Hit]:
    rendered = _parse(comment.form_rendered_at)
    if rendered is None:
        return
    submitted = _parse(comment.submitted_at) or received_at
    seconds = (submitted - rendered).total_seconds()
    if 0 <= seconds < config.timing_min_seconds:
        yield Hit("timing", spam=config.timing_spam,
                  evidence={"seconds_to_submit": round(seconds, 2), "minimum": config.timing_min_seconds})


def _urls(text: str) -> re.Pattern[str]:
    # Links without a scheme only where one can be (see may_hold_bare_link): the same links found, faster.
    return _ANY_URL if may_hold_bare_link(text) else _URL


def _address(link: str) -> str:
    """The address of a link as found: a link tag's match ends with the address in its href, if any."""
    if link[:2].lower() != "<a":
        return link
    return link[link.lower().index("href") + 4:].lstrip(" \t\r\n=\"'")


def links(comment: Comment, config: SignalConfig) -> Iterator[Hit]:
    text = comment.content
    urls = _urls(text)
    found = list(urls.finditer(text))
    spam = min(config.links_per_link * max(0, len(found) - config.links_free), config.links_max_spam)
    evidence: dict[str, object] = {"links": len(found)}
    name = comment.author_name or ""
    if _urls(name).search(name):
        spam += config.links_author_name
        evidence["link_in_author_name"] = True
    if _BBCODE.search(text):
        spam += config.links_bbcode
        evidence["bbcode"] = True
    hosts = {_address(m.group(0)).split("//")[-1].split("/")[0].lower().removeprefix("www.") for m in found}
    shorteners = sorted(hosts & SHORTENERS)
    if shorteners:
        spam += config.links_shortener
        evidence["shorteners"] = shorteners
    hold = 0.0
    if found and len(_LETTER.findall(urls.sub(" ", _BBCODE.sub(" ", text)))) < 12:
        spam += config.links_link_only
        hold += config.links_link_only_hold
        evidence["link_only"] = True
    if comment.author_url:
        spam += config.links_author_url
        evidence["author_url"] = True
    if spam > 0 or hold > 0:
        yield Hit("links", spam=spam, hold=hold, evidence=evidence, spans=tuple(m.span() for m in found[:20]))


@lru_cache(maxsize=256)
def _word_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    folded = sorted({fold_term(t) for t in terms if fold_term(t)}, key=len, reverse=True)
    if not folded:
        return None
    # The words of a term may also run together or be joined by a hyphen or other marks: "onlinecasino",
    # "Online-Casino", "online_casino", and "o n l i n e  c a s i n o" once folded.
    alternatives = "|".join(r"[\W_]*".join(map(re.escape, term.split())) for term in folded)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def words(comment: Comment, config: SignalConfig) -> Iterator[Hit]:
    if not (config.words_banned or config.words_suspect):
        return
    folded = fold(comment.content)
    for kind, terms, spam, hold in (("banned", config.words_banned, config.words_banned_spam, 0.0),
                                    ("suspect", config.words_suspect, 0.0, config.words_suspect_hold)):
        pattern = _word_pattern(terms)
        matches = list(pattern.finditer(folded.text)) if pattern else []
        if matches:
            yield Hit(f"words.{kind}", spam=spam, hold=hold,
                      evidence={"matched": sorted({m.group(0) for m in matches})},
                      spans=tuple(folded.span(*m.span()) for m in matches[:20]))


def language(comment: Comment, config: SignalConfig) -> Iterator[Hit]:
    if not config.language_serve:
        return
    detected = detect(comment.content)
    if detected is not None and detected not in config.language_serve:
        yield Hit("language", hold=config.language_hold,
                  evidence={"detected": detected, "served": list(config.language_serve)})


def stateless_hits(comment: Comment, config: SignalConfig, received_at: datetime) -> list[Hit]:
    hits: list[Hit] = []
    if config.enabled("honeypot"):
        hits += honeypot(comment, config)
    if config.enabled("timing"):
        hits += timing(comment, config, received_at)
    if config.enabled("links"):
        hits += links(comment, config)
    if config.enabled("words"):
        hits += words(comment, config)
    if config.enabled("language"):
        hits += language(comment, config)
    return hits
