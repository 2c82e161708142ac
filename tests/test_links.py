"""What counts as a link: the shortcut that skips the bare-link pattern never skips a text it would match."""

from __future__ import annotations

import random

import pytest

from moderation_service.links import ANY_LINK, BARE_LINK, LINK, links_of, may_hold_bare_link

ALPHABET = "abcdeilmnorstyz019.-/@ _:ÄéURL"


def texts(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    pieces = ["bit.ly", ".de", ".com", ".me/", "www.", "http://", "URL ", "z.B.", "a@b.de", " ", ".", "/x"]
    return ["".join(rng.choice(pieces) if rng.random() < 0.3 else rng.choice(ALPHABET)
                    for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_the_shortcut_only_skips_texts_without_a_bare_link() -> None:
    found = 0
    for text in texts(20_000):
        if BARE_LINK.search(text):
            found += 1
            assert may_hold_bare_link(text), text
        # The pattern chosen for a text finds exactly the links that both kinds together find.
        assert [m.span() for m in links_of(text).finditer(text)] == [m.span() for m in ANY_LINK.finditer(text)]
    assert found > 1000  # the generated texts do hold bare links


@pytest.mark.parametrize(("text", "links"), [
    ("Siehe spiegel.de/politik und https://www.zeit.de/x", ["spiegel.de/politik", "https://www.zeit.de/x"]),
    ("adf.ly /KlD3Y", ["adf.ly"]),
    ("9nl.me/make-money but not call.me", ["9nl.me/make-money"]),
    ("z.B. d.h. node.js app.py jana@web.de video.Check", []),
])
def test_links_of_a_text(text: str, links: list[str]) -> None:
    assert [m.group(0) for m in links_of(text).finditer(text)] == links
    assert links_of("Ganz ohne Link.") is LINK
