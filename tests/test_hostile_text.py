"""Comments built to make regular expressions backtrack are read in linear time.

Every comment is read on the request path, in the event loop: a text that makes one pattern backtrack
over the whole comment from each of its positions blocks a worker for seconds. These texts did (up to
34 s for 16,000 characters of "<a href="). The tests say "not quadratic", not "fast" (the time is measured
by ``bench/hostile_text.py``): a text eight times as long must cost at most :data:`GROWTH` times the work,
where reading it in linear time costs 2.4-8 times (the fixed costs weigh less) and backtracking from each
position 64 times. The work is this process's CPU time (the fastest of three runs), not the wall clock: other
processes sharing the machine, and its speed, do not count. (Until 2026-11-28 they asserted a wall-clock
bound, 1.5 s, which a loaded or slow machine could miss.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.hostile_text import LENGTH, UNITS, fastest, hostile, path_of
from moderation_service.model import artifact
from moderation_service.model.spam_themes import THEMES_OF_OLDER_MODELS, theme_counts, theme_table
from moderation_service.model.text import normalize

OLDER_LIST = theme_table(THEMES_OF_OLDER_MODELS)
#: How much more work an eight times longer text may cost (linear: 2.4-8 measured; quadratic: 64).
GROWTH = 20


def work(read: Callable[[str], object], text: str) -> float:
    """This process's CPU time for ``read(text)``, the least of three runs (see :func:`bench.hostile_text.fastest`)."""
    return fastest(read, text, clock=time.process_time)


def grows_linearly(read: Callable[[str], object], unit: str) -> bool:
    """Whether reading the hostile text of ``unit`` at full length costs at most :data:`GROWTH` times the work
    of an eighth of it (as a linear reading does, not one that backtracks from each position)."""
    eighth, whole = work(read, hostile(unit, LENGTH // 8)), work(read, hostile(unit))
    return whole <= GROWTH * eighth


@pytest.fixture(scope="module")
def model(model_dir: Path) -> artifact.Model:
    return artifact.load(model_dir)


@pytest.mark.parametrize("unit", UNITS)
def test_every_step_of_the_path_reads_a_hostile_text_in_linear_time(model: artifact.Model, unit: str) -> None:
    assert grows_linearly(path_of(model), unit)
    scores, _ = model.assess(hostile(unit))
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
    assert grows_linearly(lambda text: theme_counts(text, table=OLDER_LIST), unit)


def test_amounts_of_money_are_still_found_by_the_list_older_models_keep() -> None:
    assert theme_counts("ich verdiene 5.000,00 € im monat", table=OLDER_LIST) == {"money": 3}
    assert theme_counts("only $5 for 1.000.000 dollars", table=OLDER_LIST) == {"money": 2}
    assert theme_counts("ich verdiene 5.000,00 € im monat") == {"money": 1}  # the current list: the earning
