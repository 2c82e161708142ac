"""Normalisation that training data and live comments share."""

from __future__ import annotations

import pytest

from moderation_service.model.text import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nice song\ufeff", "Nice song"),
        ("zero\u200bwidth\u00adsplit", "zerowidthsplit"),
        ("Tom &amp; Jerry &#39;s &amp;lt;b&amp;gt;", "Tom & Jerry 's <b>"),
        ('Visit <a href="https://www.Spam.example/x?y=1">here</a><br />now', "Visit URL spam.example here now"),
        ("see http://t.co/abc123, and www.example.org/page.", "see URL t.co and URL example.org"),
        ("truncated http://", "truncated URL"),
        ("@maya_s: hi @USER, mail me at a@b.de", "@USER: hi @USER, mail me at a@b.de"),
        ("ＦＵＬＬ width ﬁ", "FULL width fi"),
        ("  many \n\t spaces  ", "many spaces"),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    raw = 'RT @x: <a href="http://a.example/1">Go</a> &amp;amp; ＷＩＮ\ufeff'
    assert normalize(normalize(raw)) == normalize(raw)



@pytest.mark.parametrize(("raw", "expected"), [
    ("Toller Artikel!!!", "Toller Artikel!"),
    ("Was soll das?!?!", "Was soll das?"),
    ("Echt??", "Echt?"),
    ("Ja! Nein! Vielleicht?", "Ja! Nein! Vielleicht?"),  # single marks stay
    ("Link: www.example.com/?a=1 !!", "Link: URL example.com !"),
])
def test_runs_of_marks_collapse_when_asked(raw: str, expected: str) -> None:
    assert normalize(raw, collapse_marks=True) == expected
    assert normalize(raw) == normalize(raw, collapse_marks=False)  # the default reads runs, as older models do
    assert normalize(expected, collapse_marks=True) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("adf.ly /KlD3Y", "URL adf.ly /KlD3Y"),
    ("Please visit this Website: oldchat.tk!", "Please visit this Website: URL oldchat.tk !"),
    ("WAYS TO MAKE MONEY >> 9nl.me/make-money-1", "WAYS TO MAKE MONEY >> URL 9nl.me"),
    ("therglove.blogspot.in/2013/08/post.html und spiegel.de", "URL therglove.blogspot.in und URL spiegel.de"),
    ("Besuchen Sie Billig-Kredit24.DE", "Besuchen Sie URL billig-kredit24.de"),
    # Not links: e-mail addresses, abbreviations, a missing space after a full stop, file names, and the
    # common-word top-level domains without a path.
    ("mail me x@gmail.com", "mail me x@gmail.com"),
    ("z.B. gut, d.h. i.e. e.g. u.a.", "z.B. gut, d.h. i.e. e.g. u.a."),
    ("great video.Check this.is it", "great video.Check this.is it"),
    ("node.js, app.py, setup.exe, Version 2.0", "node.js, app.py, setup.exe, Version 2.0"),
    ("call.me or look.at it", "call.me or look.at it"),
    # A link with a scheme is read as before, and its host is not read a second time.
    ("http://www.youtube.com/watch?v=1 and youtube.com", "URL youtube.com and URL youtube.com"),
])
def test_links_without_a_scheme_are_links_when_asked(raw: str, expected: str) -> None:
    assert normalize(raw, bare_links=True) == expected
    assert normalize(expected, bare_links=True) == expected  # reading a normal form again changes nothing


def test_links_without_a_scheme_are_words_by_default() -> None:
    # As models trained before the option read them.
    assert normalize("adf.ly /KlD3Y oldchat.tk") == "adf.ly /KlD3Y oldchat.tk"
