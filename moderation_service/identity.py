"""Pseudonymous identifiers: who wrote a comment, from where, linking where, as keyed hashes.

Reputation, flood limits and author history need to recognise an IP address, an e-mail address, an author
or a link domain again, but must not keep them. Each is stored only as HMAC-SHA256 under a secret that
stays on the service's machines (``MODERATION_IDENTITY_SECRET``, or ``<data dir>/identity-secret``), so a
copy of Redis alone cannot be searched for a known address.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .comments import Comment
from .links import links_of


def link_domains(text: str) -> list[str]:
    """The host names of the links in ``text``, lower-cased, without ``www.``, in order, each once."""
    domains: list[str] = []
    for match in links_of(text).finditer(text):
        host = _host(match.group(0)).removeprefix("www.").rstrip(".")
        if host and host not in domains:
            domains.append(host)
    return domains


def _host(url: str) -> str:
    """The host name of a link, lower-cased; "" when it has none that can be read.

    urlsplit refuses a host with a character that compatibility normalisation (NFKC) turns into "/", "#", "@"
    or ":" (U+2101 is "a/s", U+FF0F a full-width "/"): such a link is read in that form, as browsers and the
    model read it."""
    for candidate in (url, unicodedata.normalize("NFKC", url)):
        try:
            return urlsplit(candidate if "://" in candidate else f"http://{candidate}").hostname or ""
        except ValueError:  # that, or a broken IPv6 address ("http://[x")
            continue
    return ""


def ip_network(address: str) -> str:
    """IPv4 addresses count one by one; IPv6 by their /64 (one subscriber usually holds a whole /64)."""
    ip = ipaddress.ip_address(address)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


@dataclass(frozen=True)
class Identities:
    author: str = ""
    ip: str = ""
    email: str = ""
    domains: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """As stored with the record (``dataclasses.asdict`` deep-copies: a third of this class's cost)."""
        return {"author": self.author, "ip": self.ip, "email": self.email, "domains": self.domains}


class Hasher:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the identity secret must have at least 16 bytes")
        self._secret = secret

    def __repr__(self) -> str:
        return "Hasher(<secret>)"

    def hash(self, kind: str, site_id: str, value: str) -> str:
        message = f"{kind}\0{site_id}\0{value}".encode()
        return hmac.digest(self._secret, message, "sha256").hex()[:32]  # one C call (hmac.new is Python)

    def identities(self, comment: Comment) -> Identities:
        site = comment.site_id
        email = (comment.author_email or "").strip().lower()
        name = (comment.author_name or "").strip().lower()
        author = self.hash("author", site, email or f"name:{name}") if (email or name) else ""
        try:
            ip = self.hash("ip", site, ip_network(comment.author_ip)) if comment.author_ip else ""
        except ValueError:
            ip = ""
        domains = link_domains(f"{comment.content} {comment.author_url or ''}")
        return Identities(
            author=author,
            ip=ip,
            email=self.hash("email", site, email) if email else "",
            domains=tuple(self.hash("domain", site, d) for d in domains[:20]),
        )


def load_or_create_secret(path: Path) -> bytes:
    """The secret kept in ``path``; created (random, mode 600) when it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.touch(mode=0o600)
        temporary.write_text(secrets.token_hex(32), encoding="ascii")
        temporary.replace(path)
    return path.read_text(encoding="ascii").strip().encode()
