"""Pseudonymous identities: keyed hashes that recognise a reader again without keeping who it is."""

from __future__ import annotations

import dataclasses

from moderation_service.comments import Comment
from moderation_service.identity import Hasher, ip_network, link_domains

HASHER = Hasher(b"test-identity-secret-0123456789")
COMMENT = Comment(
    site_id="blog", content="Mehr unter https://www.Beispiel.example/a?x=1 und www.zwei.example/b, https://beispiel.example/c",
    author_name="Jana", author_email=" Jana@Example.org ", author_ip="2001:db8::1", author_url="https://jana.example",
)


def test_identities_are_keyed_hashes_of_normalised_values() -> None:
    identities = HASHER.identities(COMMENT)
    stored = repr(identities.as_dict())
    for raw in ("jana@example.org", "2001:db8", "beispiel.example", "jana.example"):
        assert raw not in stored.lower()
    assert identities.email == HASHER.hash("email", "blog", "jana@example.org")
    assert identities.ip == HASHER.hash("ip", "blog", "2001:db8::/64")
    assert identities.domains == tuple(HASHER.hash("domain", "blog", d)
                                       for d in ("beispiel.example", "zwei.example", "jana.example"))
    other_secret = Hasher(b"another-secret-0123456789abcdef").identities(COMMENT)
    assert other_secret.email != identities.email and other_secret.ip != identities.ip


def test_one_reader_is_one_identity_per_site_only() -> None:
    same = dataclasses.replace(COMMENT, author_email="jana@example.org", author_ip="2001:db8::ffff")
    assert HASHER.identities(same).author == HASHER.identities(COMMENT).author
    assert HASHER.identities(same).ip == HASHER.identities(COMMENT).ip  # one IPv6 /64
    elsewhere = dataclasses.replace(COMMENT, site_id="other")
    assert HASHER.identities(elsewhere).author != HASHER.identities(COMMENT).author


def test_unusable_values_give_empty_identities() -> None:
    anonymous = Comment(site_id="blog", content="Hallo", author_ip="not an address")
    assert HASHER.identities(anonymous).as_dict() == {"author": "", "ip": "", "email": "", "domains": ()}
    assert ip_network("192.0.2.7") == "192.0.2.7"
    assert link_domains("siehe http://www.a.example. und https://a.example/x") == ["a.example"]


def test_link_domains_include_links_written_without_a_scheme() -> None:
    text = "Visit oldchat.tk, bit.ly/x1 and https://www.a.example/y; mail jana@web.de, z.B. node.js"
    assert link_domains(text) == ["oldchat.tk", "bit.ly", "a.example"]


def test_stored_form_has_every_field() -> None:
    identities = HASHER.identities(COMMENT)
    assert identities.as_dict() == dataclasses.asdict(identities)


def test_a_host_in_compatibility_form_is_read_as_browsers_read_it_not_refused() -> None:
    # urlsplit refuses a host with a character that NFKC turns into "/", "#", "@" or ":" (ValueError): such
    # a link is read in its compatibility form, as browsers and the model read it; one still unreadable is left out.
    assert link_domains("siehe http://spam.example\uff0fangebot und www.b.example\uff03x") == ["spam.example",
                                                                                               "b.example"]
    assert link_domains("http://x\u2101y.example") == ["xa"]
    assert link_domains("http://\uff3b\u2101x und https://c.example") == ["c.example"]  # "[a/sx": no host
    comment = Comment(site_id="blog", content="Hallo", author_url="http://jana.example\uff0fblog")
    assert HASHER.identities(comment).domains == (HASHER.hash("domain", "blog", "jana.example"),)
