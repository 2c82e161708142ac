"""A comment's text and author name as a reader sees them, read the same way whether the blog sends them as
typed or as it stored them.

WordPress's Akismet plugin checks a new comment as typed, then sends it again as WordPress stored it (its
*Check for Spam*, its reports): after WordPress's filters, which drop tags a commenter may not use, write a
bare ``&`` as ``&amp;``, add ``rel`` to links, strip link protocols it does not allow and take percent-encoded
octets out of names. A comment without the blog's own id is known by what it says (see
:meth:`~moderation_service.comments.Comment.identity`), so both must read alike. Each rule here follows one of
WordPress 6.1's filters and was checked on a real installation (see the README, *Decisions into WordPress*).
"""

from __future__ import annotations

import re
from html.entities import name2codepoint
from html.parser import HTMLParser

#: A tag, its quoted attribute values may hold ``>`` (a tag left unclosed stays text).
_TAG = re.compile(r"""<[a-zA-Z/!](?:[^<>"']|"[^"]*"|'[^']*')*>""")
_LINK_OPENING = re.compile(r"<a[\s/]", re.IGNORECASE)


def as_read(text: str) -> str:
    """Text as a reader sees it, and where it links to: tags dropped but for links' targets, character
    references decoded as WordPress keeps them (``&amp;``, ``&#038;``; not ``&section=2``, which it stores as
    ``&amp;section=2``, nor ``&lt3;``), runs of white space as one space."""
    text = _ESCAPED_NUMERIC_REFERENCE.sub(r"&\1", text)
    return " ".join(_ENTITY.sub(_decoded, _TAG.sub(_link_target, text)).split())


def name_as_read(name: str) -> str:
    """An author's name as WordPress keeps it (``sanitize_text_field``): every tag dropped, links too, and
    percent-encoded octets taken out (``Jana%20Weber`` is stored as ``JanaWeber``)."""
    name = _TAG.sub(" ", name)
    found = _OCTET.search(name)
    while found:  # as WordPress: each octet found is removed everywhere, until none is left
        name = name.replace(found.group(), "")
        found = _OCTET.search(name)
    return as_read(name)


_OCTET = re.compile(r"%[a-fA-F0-9]{2}")


class _LinkTarget(HTMLParser):
    """The ``href`` of one ``<a>`` tag, read as a browser reads its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.href = next((value or "" for name, value in attrs if name == "href"), "")  # the first, as browsers

    handle_startendtag = handle_starttag


def _link_target(tag: re.Match[str]) -> str:
    """A tag as it counts for identity: a link by where it links to (``href``, its protocol as WordPress
    keeps it), so that a comment resent with a link added or changed is not the same comment, while
    attributes a blog adds (``rel``) do not matter; other tags not at all (WordPress drops those a commenter
    may not use, ``<img>`` with its ``src``, before it stores the comment it sends again)."""
    if not _LINK_OPENING.match(tag.group()):
        return ""
    parser = _LinkTarget()
    parser.feed(tag.group().replace("&", "&amp;"))  # references are decoded once, below, as WordPress keeps them
    parser.close()
    href = allowed_protocol(normalized_references(parser.href))
    return f" {href} " if href else ""


#: The named references WordPress keeps (``$allowedentitynames``): HTML 4's and ``&apos;``.
ALLOWED_ENTITY_NAMES = frozenset(name2codepoint) | {"apos"}
_ESCAPED_NAME = re.compile(r"&amp;([A-Za-z]{2,8}[0-9]{0,2});")
_ESCAPED_DECIMAL = re.compile(r"&amp;#(0*[0-9]{1,7});")
_ESCAPED_HEXADECIMAL = re.compile(r"&amp;#[Xx](0*[0-9A-Fa-f]{1,6});")


def normalized_references(text: str) -> str:
    """``wp_kses_normalize_entities``, which WordPress applies before it looks at a link's protocol: every ``&``
    escaped, then the references it accepts written back (``&colon;`` is not one of them, so it never ends a
    protocol; ``&#58`` without its ``;`` neither)."""
    text = text.replace("&", "&amp;")
    text = _ESCAPED_NAME.sub(lambda m: f"&{m[1]};" if m[1] in ALLOWED_ENTITY_NAMES else m.group(), text)
    text = _ESCAPED_DECIMAL.sub(_decimal_reference, text)
    return _ESCAPED_HEXADECIMAL.sub(_hexadecimal_reference, text)


def _decimal_reference(found: re.Match[str]) -> str:
    digits = found[1]
    if digits in ("", "0"):  # PHP's empty(): dropped
        return ""
    return f"&#{digits.lstrip('0').rjust(3, '0')};" if _valid_code_point(int(digits)) else f"&amp;#{digits};"


def _hexadecimal_reference(found: re.Match[str]) -> str:
    digits = found[1]
    return f"&#x{digits.lstrip('0')};" if _valid_code_point(int(digits, 16)) else f"&amp;#x{digits};"


#: WordPress's ``wp_allowed_protocols()``: a link's protocol outside these is removed.
ALLOWED_PROTOCOLS = frozenset({"http", "https", "ftp", "ftps", "mailto", "news", "irc", "irc6", "ircs", "gopher",
                               "nntp", "feed", "telnet", "mms", "rtsp", "sms", "svn", "tel", "fax", "xmpp",
                               "webcal", "urn"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|\\+0+")
_UNFINISHED_COLON = re.compile(r"(&#0*58(?![;0-9])|&#x0*3a(?![;a-f0-9]))", re.IGNORECASE)
_PROTOCOL_END = re.compile(r":|&#0*58;|&#x0*3a;|&colon;", re.IGNORECASE)
_NUMERIC_REFERENCE = re.compile(r"&#([0-9]+);|&#[xX]([0-9a-fA-F]+);")
_PHP_TRIM = " \t\n\r\0\x0b"


def allowed_protocol(href: str) -> str:
    """A link's address as WordPress stores it (``wp_kses_bad_protocol``): a protocol it allows in lower case
    (``HTTPS:`` → ``https:``), any other removed, again and again (``javascript:alert(1)`` → ``alert(1)``);
    an address still changing after six rounds is dropped."""
    href = _CONTROL.sub("", href)
    for _ in range(6):
        before, href = href, _without_bad_protocol(href)
        if href == before:
            return href
    return ""


def _without_bad_protocol(href: str, count: int = 1) -> str:
    """One round of ``wp_kses_bad_protocol_once``."""
    href = _UNFINISHED_COLON.sub(r"\1;", href)
    parts = _PROTOCOL_END.split(href, maxsplit=1)
    if len(parts) < 2 or "/?" in parts[0]:
        return href
    rest = parts[1].strip(_PHP_TRIM)
    protocol = _protocol(parts[0])
    if protocol == "feed:":
        if count > 2:
            return ""
        rest = _without_bad_protocol(rest, count + 1)
        if rest in ("", "0"):  # PHP's empty()
            return rest
    return protocol + rest


def _protocol(scheme: str) -> str:
    """``wp_kses_bad_protocol_once2``: the scheme's numeric references decoded, white space and control
    characters removed, in lower case; ``''`` unless allowed."""
    scheme = _NUMERIC_REFERENCE.sub(_numeric_character, scheme)
    scheme = _CONTROL.sub("", re.sub(r"\s", "", scheme)).lower()
    return f"{scheme}:" if scheme in ALLOWED_PROTOCOLS else ""


def _numeric_character(reference: re.Match[str]) -> str:
    decimal, hexadecimal = reference.groups()
    value = int(decimal) if decimal is not None else int(hexadecimal, 16)
    return chr(value % 256)  # PHP's chr(): a byte


#: ``&amp;#65;`` typed is stored as ``&#065;``: WordPress's ``wp_kses_normalize_entities`` turns ``&amp;``
#: back into ``&amp;`` and then reads the ``&amp;#65;`` it made as an escaped reference of its own.
_ESCAPED_NUMERIC_REFERENCE = re.compile(r"&amp;(#(?:0*[0-9]{1,7}|[xX]0*[0-9a-fA-F]{1,6});)")
_ENTITY = re.compile(r"&(?:#(0*[0-9]{1,7})|#[xX]0*([0-9a-fA-F]{1,6})|([A-Za-z]{2,8}[0-9]{0,2}));")


def _valid_code_point(value: int) -> bool:
    """A character WordPress keeps as a reference (its ``valid_unicode``); it writes others as ``&amp;#…;``."""
    return (value in (0x9, 0xA, 0xD) or 0x20 <= value <= 0xD7FF or 0xE000 <= value <= 0xFFFD
            or 0x10000 <= value <= 0x10FFFF)


def _decoded(entity: re.Match[str]) -> str:
    """A whole character reference decoded as WordPress keeps it: HTML 4's names (``&copy;``), valid code
    points, ``&#128;``–``&#159;`` as Windows-1252 (``&#128;`` is €; the five it leaves undefined, and
    ``&#0;``, are dropped); others (``&check;``, ``&lt3;``, ``&#1;``) stay as written, as WordPress stores
    them with ``&amp;``."""
    decimal, hexadecimal, name = entity.groups()
    if name is not None:
        return chr(name2codepoint[name]) if name in name2codepoint else entity.group()
    value = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if decimal == "0" or (hexadecimal is not None and value == 0):
        return ""  # WordPress drops these (but keeps &#00; as written)
    if decimal is not None and 128 <= value <= 159:  # WordPress reads these as Windows-1252 (&#128; is €)
        return bytes([value]).decode("cp1252", errors="ignore")
    return chr(value) if _valid_code_point(value) else entity.group()
