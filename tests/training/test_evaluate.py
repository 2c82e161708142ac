"""The evaluation table shows false positives per source, also for sources without positives."""

from __future__ import annotations

import numpy as np

from training.evaluate import evaluate, format_table


def test_per_source_rows_show_the_false_positive_rate() -> None:
    Y = np.array([[1], [0], [1], [0], [0], [0], [0], [0]], dtype=float)
    P = np.array([[0.9], [0.2], [0.3], [0.6], [0.7], [0.1], [0.1], [0.1]])
    sources = np.array(["youtube"] * 4 + ["german-ham"] * 4, dtype=object)
    report = evaluate(Y, P, sources, ("spam",), {"spam": {"hold": 0.5, "spam": 0.8}})
    ham = report["spam"]["by_source"]["german-ham"]
    assert ham["false_positive_rate"] == 0.25 and ham["f1"] is None
    youtube = report["spam"]["by_source"]["youtube"]
    assert (youtube["precision"], youtube["recall"], youtube["false_positive_rate"]) == (0.5, 0.5, 0.5)
    assert report["spam"]["at_spam_threshold"]["false_positive_rate"] == 0.0
    table = format_table(report)
    header, _, overall, at_spam, german, _youtube = table.splitlines()
    assert header.split()[-1] == "FPR"
    assert german.split()[0] == "german-ham" and german.split()[-1] == "0.2500"
    assert german.split()[-4] == "-"  # no precision where there are no positives
