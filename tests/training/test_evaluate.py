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


def test_toxicity_reports_the_hold_decision_of_all_its_scores() -> None:
    nan = np.nan
    # toxicity labels; insult labels only where known. Row 2 is held by insult alone (toxic), row 3 by insult
    # alone (harmless), row 4 by toxicity, row 5 by nothing.
    Y = np.array([[nan, 1, 1], [nan, 1, nan], [nan, 0, 0], [nan, 1, 1], [nan, 0, nan], [nan, 1, nan]])
    P = np.array([[0, 0.9, 0.1], [0, 0.2, 0.8], [0, 0.1, 0.7], [0, 0.6, 0.2], [0, 0.1, 0.1], [0, 0.3, 0.1]])
    sources = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)
    thresholds = {"spam": {"hold": 0.5, "spam": 0.9}, "toxicity": {"hold": 0.5}, "insult": {"hold": 0.5}}
    report = evaluate(Y, P, sources, ("spam", "toxicity", "insult"), thresholds)
    decision = report["toxicity"]["held_by_any_score"]
    assert (decision["examples"], decision["positives"], decision["flagged_rate"]) == (6, 4, 0.6667)
    assert (decision["precision"], decision["recall"], decision["false_positive_rate"]) == (0.75, 0.75, 0.5)
    assert decision["by_source"]["b"]["recall"] == 0.5 and decision["roc_auc"] is None
    assert report["toxicity"]["recall"] == 0.5  # the toxicity score alone
    assert "held_by_any_score" not in report["insult"]
    rows = format_table(report).splitlines()
    held = next(i for i, line in enumerate(rows) if line.startswith("held (any score)"))
    assert rows[held].split()[3:6] == ["(all)", "6", "4"] and rows[held].split()[7] == "-"
    assert rows[held + 1].split()[0] == "a" and rows[held + 2].split()[0] == "b"
