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
