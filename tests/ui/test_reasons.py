"""Why a comment is held, in the page's language: a signal's evidence (what it found) is structured data from the
service, and the card says it in German or English, never as the service's field names."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from tests.ui.conftest import hold, review_item, sign_in

#: Every signal with the evidence the service gives it (moderation_service/signals).
SIGNALS: list[dict[str, Any]] = [
    {"kind": "signal", "name": "honeypot", "spam": 25, "hold": 0, "evidence": {"filled": True}},
    {"kind": "signal", "name": "timing", "spam": 2.5, "hold": 0,
     "evidence": {"seconds_to_submit": 1.25, "minimum": 3}},
    {"kind": "signal", "name": "links", "spam": 6.5, "hold": 1,
     "evidence": {"links": 2, "link_in_author_name": True, "bbcode": True, "shorteners": ["bit.ly"],
                  "link_only": True, "author_url": True}},
    {"kind": "signal", "name": "words.banned", "spam": 8, "hold": 0, "evidence": {"matched": ["casino", "viagra"]}},
    {"kind": "signal", "name": "language", "spam": 0, "hold": 1,
     "evidence": {"detected": "fr", "served": ["de", "en"]}},
    {"kind": "signal", "name": "reputation", "spam": 6, "hold": 0, "evidence": {"known_spam": {"ip": 2, "domain": 1}}},
    {"kind": "signal", "name": "trusted_author", "spam": -15, "hold": -1, "evidence": {"approved": 4, "rejected": 1}},
    {"kind": "signal", "name": "duplicates", "spam": 0, "hold": 1,
     "evidence": {"similar_recent": 1, "window_seconds": 3600, "linked": False}},
    {"kind": "signal", "name": "flood", "spam": 0, "hold": 1,
     "evidence": {"from_ip": 7, "from_author": 2, "window_seconds": 600}},
    # evidence a later release adds, and a signal the page does not know: no field names on the page
    {"kind": "signal", "name": "links", "spam": 0.3, "hold": 0, "evidence": {"links": 0, "new_field": 3}},
    {"kind": "signal", "name": "shouting", "spam": 0, "hold": 1, "evidence": {"capitals": 0.9}},
]

GERMAN = [
    "Signal „Verstecktes Feld ausgefüllt“: Spam +25, Prüfpunkte 0",
    "Signal „Zu schnell abgeschickt“: Spam +2,5, Prüfpunkte 0 "
    "(1,25 s nach dem Öffnen des Formulars abgeschickt, erwartet mindestens 3 s)",
    "Signal „Links“: Spam +6,5, Prüfpunkte +1 (2 Links im Text; ein Link als Name; ein BBCode-Link [url]; "
    "Kurz-URL: bit.ly; kaum mehr als ein Link; eine Website angegeben)",
    "Signal „Gesperrte Wörter“: Spam +8, Prüfpunkte 0 (gefunden: „casino“ und „viagra“)",
    "Signal „Sprache“: Spam 0, Prüfpunkte +1 (erkannt: Französisch, erwartet: Deutsch und Englisch)",
    "Signal „Ruf des Absenders“: Spam +6, Prüfpunkte 0 "
    "(schon als Spam markiert: diese IP-Adresse (2×) und eine verlinkte Domain (1×))",
    "Signal „Bekannte Person“: Spam -15, Prüfpunkte -1 (4 freigegeben, 1 abgelehnt, keiner als Spam)",
    "Signal „Wiederholter Text“: Spam 0, Prüfpunkte +1 (1 ähnlicher Text in den letzten 60 Minuten; ohne Link)",
    "Signal „Viele Kommentare in kurzer Zeit“: Spam 0, Prüfpunkte +1 "
    "(7 Kommentare von dieser IP-Adresse und 2 von dieser Person in 10 Minuten)",
    "Signal „Links“: Spam +0,3, Prüfpunkte 0",
    "Signal „shouting“: Spam 0, Prüfpunkte +1",
]

ENGLISH = [
    "Signal “Hidden field filled in”: spam +25, review points 0",
    "Signal “Sent too fast”: spam +2.5, review points 0 (sent 1.25 s after the form was opened, at least 3 s expected)",
    "Signal “Links”: spam +6.5, review points +1 (2 links in the text; a link as the name; a BBCode link [url]; "
    "URL shortener: bit.ly; little but a link; a website given)",
    "Signal “Banned words”: spam +8, review points 0 (found: “casino” and “viagra”)",
    "Signal “Language”: spam 0, review points +1 (detected: French, expected: German and English)",
    "Signal “Sender's reputation”: spam +6, review points 0 "
    "(marked spam before: this IP address (2×) and a domain it links to (1×))",
    "Signal “Known author”: spam -15, review points -1 (4 approved, 1 rejected, none marked spam)",
    "Signal “Repeated text”: spam 0, review points +1 (1 similar text in the last 60 minutes; without a link)",
    "Signal “Many comments at once”: spam 0, review points +1 "
    "(7 comments from this IP address and 2 from this person within 10 minutes)",
    "Signal “Links”: spam +0.3, review points 0",
    "Signal “shouting”: spam 0, review points +1",
]


@pytest.mark.parametrize(("lang", "expected"), [("de", GERMAN), ("en", ENGLISH)])
def test_every_signal_says_what_it_found_in_the_pages_language(page: Page, lang: str, expected: list[str]) -> None:
    sign_in(page)
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    item = {
        "id": "kommblog:aaaaaaaaaaaaaaaa", "site_id": "kommblog", "received_at": "2026-11-26T09:00:00.000Z",
        "comment": {"content": "Kauf jetzt", "author_name": "Bot"}, "scores": {"spam": 0.5}, "reasons": SIGNALS,
    }
    lines = page.evaluate("""async ([item, lang]) => {
        const { CardRenderer } = await import('/moderate/static/cards.js');
        const strings = JSON.parse(document.getElementById('moderate-config').textContent).strings;
        const card = new CardRenderer(document.getElementById('card-template'), strings, lang).render(item, 99);
        return Array.from(card.querySelectorAll('.reasons li'), (li) => li.textContent);
    }""", [item, lang])
    assert lines == expected


@pytest.mark.parametrize(("language", "said"), [
    ("Deutsch", "Signal „Links“: Spam +0,3, Prüfpunkte 0 (eine Website angegeben)"),
    ("English", "Signal “Links”: spam +0.3, review points 0 (a website given)"),
])
def test_a_held_comments_signal_evidence_on_the_page(page: Page, api: APIRequestContext, language: str,
                                                     said: str) -> None:
    """A real held comment: the author gave a website, which the links signal counts."""
    item_id = hold(api, 1)
    links = [r for r in review_item(api, item_id)["reasons"] if r["kind"] == "signal"]
    assert [r["name"] for r in links] == ["links"] and links[0]["evidence"]["author_url"] is True
    sign_in(page)
    if language == "English":
        page.get_by_role("button", name="English").click()
    card = page.locator(f'li[data-id="{item_id}"] .card')
    expect(card.locator('.reasons li[data-kind="signal"]')).to_have_text(said)
