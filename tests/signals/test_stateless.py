"""Signals that need only the comment: each fires on what it should, with its weight, and stays quiet otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moderation_service.comments import Comment
from moderation_service.language import detect
from moderation_service.signals.config import SIGNALS_SCHEMA, SignalConfig, signal_config
from moderation_service.signals.stateless import stateless_hits
from moderation_service.signals.textfold import fold

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
CONFIG = SignalConfig(words_banned=("viagra", "online casino"), words_suspect=("idiot",), language_serve=("de", "en"))


def hits(content: str = "Ein ganz normaler Kommentar zu diesem Beitrag.", config: SignalConfig = CONFIG, **fields):  # type: ignore[no-untyped-def]
    return {h.name: h for h in stateless_hits(Comment(site_id="s", content=content, **fields), config, NOW)}


def test_an_ordinary_comment_fires_nothing() -> None:
    assert hits() == {}


def test_honeypot() -> None:
    hit = hits(honeypot="http://spam.example")["honeypot"]
    assert hit.spam == CONFIG.honeypot_spam and hit.hold == 0
    assert "honeypot" not in hits(honeypot="")


def test_time_to_submit() -> None:
    fast = hits(form_rendered_at="2026-11-26T11:59:58+00:00", submitted_at="2026-11-26T12:00:00+00:00")
    assert fast["timing"].spam == CONFIG.timing_spam and fast["timing"].evidence["seconds_to_submit"] == 2.0
    assert "timing" not in hits(form_rendered_at="2026-11-26T11:58:00+00:00")  # two minutes: a person typing
    assert "timing" not in hits(form_rendered_at="2026-11-26T12:05:00+00:00")  # clock skew is not evidence


def test_links_count_and_their_kinds() -> None:
    one = hits("Siehe dazu https://example.org/studie, dort steht mehr über die Methode.")
    assert "links" not in one  # the first link is free
    many = hits("Gut: http://a.example http://b.example http://c.example und noch mehr Text dazu hier.")
    assert many["links"].spam == pytest.approx(2 * CONFIG.links_per_link)
    assert many["links"].spans[0] == (5, 21)  # "http://a.example"
    shortened = hits("Hier klicken bit.ly/xyz http://bit.ly/abc für den ganzen Bericht, wirklich lesenswert!")
    assert shortened["links"].evidence["shorteners"] == ["bit.ly"]
    link_only = hits("http://cheap-pills.example")["links"]
    assert link_only.evidence["link_only"] is True
    # a bare link is a reason to look, not proof of spam: a reader may cite a source ("Siehe auch <link>")
    assert (link_only.hold, link_only.spam) == (CONFIG.links_link_only_hold, CONFIG.links_link_only) == (1.0, 0.0)
    citation = hits("Siehe auch https://www.tagesschau.de/inland/pressefreiheit-101.html")["links"]
    assert citation.evidence["link_only"] is True and citation.hold == 1.0
    assert hits("Toller Beitrag, vielen Dank dafür!", author_name="Best Loans cheap-loans.com")["links"].spam == (
        CONFIG.links_author_name)
    assert hits("[url=http://x.example]klick[/url] das ist ein toller Beitrag mit Inhalt")["links"].evidence["bbcode"]
    assert hits(author_url="https://jana.example")["links"].spam == CONFIG.links_author_url


def test_links_written_without_a_scheme_count_as_links() -> None:
    # Spam writes links so to get past link filters ("adf.ly /KlD3Y", "Please visit this Website: oldchat.tk").
    shortened = hits("Make money online, just type adf.ly/KlD3Y in your browser and get started today!")["links"]
    assert shortened.evidence["shorteners"] == ["adf.ly"] and shortened.evidence["links"] == 1
    two = hits("Mehr dazu auf spiegel.de/politik und zeit.de, dort steht es ausführlicher erklärt.")["links"]
    assert two.evidence["links"] == 2 and two.spam == pytest.approx(CONFIG.links_per_link)
    assert hits("oldchat.tk")["links"].evidence["link_only"] is True
    assert hits("Toller Beitrag, vielen Dank dafür!", author_name="Kredit24.de")["links"].evidence[
        "link_in_author_name"]
    # Abbreviations, e-mail addresses, file names and a missing space are no links.
    assert "links" not in hits("Das ist z.B. gut, d.h. wir sehen uns. Schreib an jana@example.com oder nimm app.py!")
    assert "links" not in hits("Great video.Check this out, call.me maybe, it is really good stuff here.")


def test_a_link_written_as_html_is_one_link() -> None:
    # WordPress keeps a commenter's <a href>: the tag and the address in it are one link, not two.
    cited = ('Siehe <a href="https://www.tagesschau.de/inland/rente-101.html">den Bericht der Tagesschau</a> '
             "zum Thema Rente, dort steht es ausführlich erklärt.")
    assert "links" not in hits(cited)  # the first link is free, as written without the tag
    three = hits("".join(f'<a href="http://{host}.example/x">{host}</a> ' for host in "abc") + "und mehr Text dazu.")
    assert three["links"].evidence["links"] == 3 and three["links"].spam == pytest.approx(2 * CONFIG.links_per_link)
    shortened = hits("<A HREF='https://bit.ly/abc'>der ganze Bericht</A>, wirklich lesenswert für alle hier!")["links"]
    assert shortened.evidence == {"links": 1, "shorteners": ["bit.ly"]}
    assert hits('Lest <a href="bit.ly/abc">den ganzen Bericht</a>, wirklich lesenswert für alle hier!')[
        "links"].evidence == {"links": 1, "shorteners": ["bit.ly"]}
    # a tag whose address the text does not show as a link still counts as one
    assert hits('<a href="/seite">hier</a> und <a title="x" href="#oben">oben</a> steht mehr dazu, lest es!')[
        "links"].evidence["links"] == 2


@pytest.mark.parametrize("text", ["Buy V1AGRA now", "cheap v.i.a.g.r.a", "vi\u200bagra here", "Víägra",
                                  "ONLINE  Casino", "OnlineCasino", "o n l i n e  c a s i n o", "Online-Casino",
                                  "online_casino", "Online – Casino",
                                  # Cyrillic а, с, о, і and ѵ, and Greek ο, drawn like the Latin letters
                                  "Online саsinо", "ѵіаgrа", "VIAGRΑ", "Online Cаsinο"])
def test_banned_words_survive_obfuscation(text: str) -> None:
    hit = hits(text)["words.banned"]
    assert hit.spam == CONFIG.words_banned_spam
    start, end = hit.spans[0]
    assert "".join(filter(str.isalpha, fold(text[start:end]).text)) in {"viagra", "onlinecasino"}


def test_suspect_words_hold_and_whole_words_only() -> None:
    hit = hits("Du bist ein Idiot.")["words.suspect"]
    assert hit.hold == 1.0 and hit.spans == ((12, 17),)
    assert "words.suspect" not in hits("Idiotensicher erklärt, danke.")  # not a whole word


def test_a_listed_word_with_sharp_s_matches_it_written_in_capitals_and_back() -> None:
    config = SignalConfig(words_suspect=("Scheiße", "Strasse"))
    for text, word in (("So eine SCHEISSE!", "SCHEISSE"), ("so eine scheisse", "scheisse"),
                       ("Die Straße ist gesperrt", "Straße")):
        [hit] = [h for h in stateless_hits(Comment("kommblog", text), config, NOW) if h.name == "words.suspect"]
        assert [text[start:end] for start, end in hit.spans] == [word]


def test_languages_the_site_does_not_serve_are_held() -> None:
    hit = hits("Merci beaucoup pour cet article, il est très intéressant et bien écrit.")["language"]
    assert hit.hold == 1.0 and hit.evidence == {"detected": "fr", "served": ["de", "en"]}
    assert "language" not in hits("Thanks a lot, this is a very good post about the topic.")
    assert "language" not in hits("ok")  # too short to tell
    assert detect("Danke für den Beitrag, der ist sehr gut") == "de"


def test_a_site_can_disable_signals_and_set_weights() -> None:
    config = signal_config({}, SIGNALS_SCHEMA.load({"disabled": ["honeypot"], "links": {"per_link": 2.0}}))
    assert "honeypot" not in hits(honeypot="x", config=config)
    assert hits("a http://a.example b http://b.example mit etwas Text", config=config)["links"].spam == 2.0


def test_signal_reasons_are_json_ready() -> None:
    reason = hits("Buy viagra now")["words.banned"].as_reason()
    assert reason == {"kind": "signal", "name": "words.banned", "spam": CONFIG.words_banned_spam, "hold": 0.0,
                      "evidence": {"matched": ["viagra"]}, "spans": [[4, 10]]}
