"""Comments built to make regular expressions backtrack are read in linear time.

Every comment is read on the request path, in the event loop: a text that makes one pattern backtrack
over the whole comment from each of its positions blocks a worker for seconds. These texts did (up to
34 s for 16,000 characters of "<a href="); each is now read in milliseconds. The bound below is a
hundred times that, so the test says "not quadratic", not "fast" (speed is measured in bench/).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation_service.comments import Comment
from moderation_service.language import detect
from moderation_service.model import artifact
from moderation_service.model.spam_themes import THEMES_OF_OLDER_MODELS, theme_counts, theme_table
from moderation_service.model.text import normalize
from moderation_service.signals.config import SignalConfig
from moderation_service.signals.minhash import band_buckets
from moderation_service.signals.stateless import stateless_hits
from moderation_service.signals.textfold import fold

LENGTH = 20_000  # the default MODERATION_MAX_CONTENT_CHARS
OLDER_LIST = theme_table(THEMES_OF_OLDER_MODELS)
BOUND_SECONDS = 1.5
UNITS = ["<a href=", "<a ", '<a href="x', "<a" + " href=x" * 3, "1.", "1,", "€1", "1 €", "k o ", "a-", "www.",
         "http://", "<", "&", "&#", "[url=", "…", "free ", "Besuchen Sie ", "a.", "a.b-", "x.com/", "x.com ",
         "a" * 70 + "."]


def hostile(unit: str) -> str:
    return (unit * (LENGTH // len(unit) + 1))[:LENGTH]


@pytest.fixture(scope="module")
def model(model_dir: Path) -> artifact.Model:
    return artifact.load(model_dir)


@pytest.mark.parametrize("unit", UNITS)
def test_every_step_of_the_path_reads_a_hostile_text_in_linear_time(model: artifact.Model, unit: str) -> None:
    text = hostile(unit)
    comment = Comment(site_id="s", content=text, author_name=hostile(unit)[:500])
    started = time.perf_counter()
    scores, features = model.assess(text)
    model.explain(features, ["spam", "toxicity"])
    stateless_hits(comment, SignalConfig(language_serve=("de", "en")), datetime.now(UTC))
    band_buckets(fold(text).text)
    detect(text)
    assert time.perf_counter() - started < BOUND_SECONDS
    assert 0.0 <= scores["spam"] <= 1.0


def test_link_tags_keep_their_targets() -> None:
    # What the linear patterns must still find: the href of a link tag, and nothing in a tag without one.
    assert normalize('Seht <a class="x" href="https://spam.example/p?q=1">hier</a>!') == \
        "Seht URL spam.example hier !"
    assert normalize("<a name=top>oben</a>") == "oben"
    assert normalize("<a href=") == "<a href="  # an unfinished tag is text


@pytest.mark.parametrize("unit", ["1.", "1,", "€1", "1 €", "$1 ", "1 dollars "])
def test_the_list_older_models_keep_reads_hostile_amounts_in_linear_time(unit: str) -> None:
    # Models fitted before the list was kept with them count amounts as "money": their bounded patterns must
    # stay linear.
    started = time.perf_counter()
    theme_counts(hostile(unit), table=OLDER_LIST)
    assert time.perf_counter() - started < BOUND_SECONDS


def test_amounts_of_money_are_still_found_by_the_list_older_models_keep() -> None:
    assert theme_counts("ich verdiene 5.000,00 € im monat", table=OLDER_LIST) == {"money": 3}
    assert theme_counts("only $5 for 1.000.000 dollars", table=OLDER_LIST) == {"money": 2}
    assert theme_counts("ich verdiene 5.000,00 € im monat") == {"money": 1}  # the current list: the earning
