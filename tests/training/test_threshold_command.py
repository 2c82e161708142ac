"""``moderation-train thresholds``: the trade-off table, the chosen threshold, writing only when asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from moderation_service.model import artifact
from training.cli import main
from training.thresholds import hold_rate_threshold, sweep


@pytest.fixture
def model(tmp_path: Path, model_dir: Path) -> Path:
    return Path(shutil.copytree(model_dir, tmp_path / "model"))


def rows(out: str) -> dict[str, list[str]]:
    """Table rows by their mark ("chosen", "current")."""
    marked = [line.split() for line in out.splitlines() if "<-" in line]
    return {cells[-1]: cells for cells in marked}


def test_precision_target_for_the_spam_threshold_is_shown_then_written(
    model: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = artifact.verify(model)["thresholds"]
    args = ["thresholds", "--model", str(model), "--data", str(corpus), "--precision", "0.98", "--kind", "spam"]
    assert main(args) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("spam spam threshold for precision >= 0.98: ")
    assert out.splitlines()[1].split() == ["threshold", "precision", "recall", "hold", "rate", "wrongly", "held",
                                           "missed"]
    chosen = rows(out)["chosen"] if "chosen" in rows(out) else rows(out)["current"]
    assert float(chosen[1]) >= 0.98
    assert "not written (pass --write to store it)" in out
    assert artifact.verify(model)["thresholds"] == before

    assert main([*args, "--write"]) == 0
    out = capsys.readouterr().out
    value = float(first.split(": ")[1].split()[0])
    manifest = artifact.verify(model)  # still verifies: the manifest is not among the checksummed files
    assert manifest["thresholds"]["spam"]["spam"] == max(value, before["spam"]["hold"])
    assert manifest["thresholds"]["toxicity"] == before["toxicity"]
    change = manifest["threshold_changes"][-1]
    assert (change["attribute"], change["kind"], change["target"]) == ("spam", "spam", "precision >= 0.98")
    assert change["from"] == before["spam"]["spam"] and change["to"] == value
    assert artifact.load(model).thresholds["spam"]["spam"] == manifest["thresholds"]["spam"]["spam"]


def test_hold_rate_target_for_a_toxicity_score(model: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["thresholds", "--model", str(model), "--data", str(corpus), "--hold-rate", "0.2",
                 "--attribute", "toxicity", "--write"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("toxicity hold threshold for hold rate <= 0.2: ")
    chosen = rows(out)["chosen"]
    assert float(chosen[3]) <= 0.2
    assert artifact.verify(model)["thresholds"]["toxicity"]["hold"] == float(chosen[0])
    # the whole decision holds at least what toxicity alone holds: the operator sees both
    family = next(line for line in out.splitlines() if line.startswith("held by any of toxicity's six scores"))
    now, _, then = family.split(": ")[1].split()[:3]
    assert float(then) >= float(chosen[3]) and float(now) != float(then)


def test_family_hold_rates_count_a_comment_once_whichever_score_holds_it() -> None:
    from moderation_service.model.attributes import ATTRIBUTES
    from training.threshold_tuning import family_hold_rates

    thresholds = {name: {"hold": 0.5} for name in ATTRIBUTES}
    scores = np.zeros((4, len(ATTRIBUTES)))
    scores[0, ATTRIBUTES.index("toxicity")] = 0.6  # held by toxicity
    scores[1, ATTRIBUTES.index("insult")] = 0.7  # by insult alone
    scores[2, [ATTRIBUTES.index("toxicity"), ATTRIBUTES.index("insult")]] = 0.9  # by both: once
    scores[3, ATTRIBUTES.index("spam")] = 0.99  # spam is not a toxicity score
    assert family_hold_rates(scores, thresholds, "toxicity", 0.95) == (0.75, 0.5)
    assert family_hold_rates(scores, thresholds, "insult", 0.1) == (0.75, 0.75)


def test_a_spam_kind_for_another_score_is_refused(
    model: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["thresholds", "--model", str(model), "--data", str(corpus), "--precision", "0.9",
                 "--attribute", "insult", "--kind", "spam"]) == 2
    assert "only the spam score has a 'spam' threshold" in capsys.readouterr().err


def test_an_unknown_score_is_refused_naming_the_scores(
    model: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo was "error: tuple.index(x): x not in tuple", after the data was loaded."""
    with pytest.raises(SystemExit) as exit_:
        main(["thresholds", "--model", str(model), "--data", str(corpus), "--precision", "0.9",
              "--attribute", "insults"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "--attribute: invalid choice: 'insults'" in error and "'insult'" in error and "'spam'" in error


def test_hold_rate_threshold_and_sweep_on_known_scores() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 1, 0, 1, 1])
    scores = np.array([0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.6, 0.8, 0.9])
    assert hold_rate_threshold(scores, 0.3) == 0.6  # holds 3 of 10
    assert hold_rate_threshold(scores, 0.35) == 0.6  # 0.4 would hold 4 of 10
    counts = sweep(y, scores, np.array([0.5, 0.4]))
    assert counts.hold_rate.tolist() == [0.3, 0.4]
    assert counts.precision.tolist() == [2 / 3, 0.75] and counts.recall.tolist() == [2 / 3, 1.0]
    assert counts.misses.tolist() == [1, 0] and counts.error_rate.tolist() == [0.2, 0.1]


def test_a_target_no_threshold_reaches_is_said_so(
    model: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["thresholds", "--model", str(model), "--data", str(corpus), "--hold-rate", "0.0001",
                 "--attribute", "toxicity"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("toxicity hold threshold for hold rate <= 0.0001 (not reached: even 0.9900 gives ")


@pytest.mark.parametrize("target", [["--precision", "1.5"], ["--precision", "0"], ["--precision", "-1"],
                                    ["--precision", "nan"], ["--hold-rate", "2"], ["--hold-rate", "-0.1"],
                                    ["--hold-rate", "nan"]],
                         ids=lambda t: "".join(t))
def test_an_impossible_target_is_refused_before_anything_is_loaded(
        tmp_path: Path, target: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A precision or a share of comments outside 0..1 was taken: --precision -1 or --hold-rate 2 chose 0.05
    (every comment scoring above it held) as if reached, --precision 1.5 chose 0.99 as 'not reached', and
    --write would have stored either; after loading the model and scoring the data."""
    with pytest.raises(SystemExit) as exit_:
        main(["thresholds", "--model", str(tmp_path / "not-loaded"), "--data", str(tmp_path / "not-read.jsonl"),
              *target])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    bounds = "above 0 and at most 1" if target[0] == "--precision" else "from 0 to 1"
    assert f"argument {target[0]}: expected a share {bounds}" in error and f"got {target[1]!r}" in error


def test_a_score_the_model_never_trained_is_refused(
        tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model trained on spam data alone scores toxicity 0 always: tuning it showed a table of zeros and
    'chosen = current', and said nothing of why no threshold could hold a comment."""
    from training.train import load_data, train, write

    lines = [json.dumps({"content": f"{text} {i}", "labels": {"spam": spam}, "source": "site"})
             for i in range(30) for text, spam in (("Danke für den Beitrag", 0), ("Buy cheap pills at", 1))]
    (tmp_path / "spam.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    spam_only = write(train(load_data([tmp_path / "spam.jsonl"], report=lambda _: None), report=lambda _: None),
                      tmp_path / "spam-only")
    assert main(["thresholds", "--model", str(spam_only), "--data", str(corpus), "--hold-rate", "0.1",
                 "--attribute", "toxicity", "--write"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: {spam_only} does not score toxicity: its training data had "
                            "no examples of both classes for it")
    assert "train a model on data with toxicity labels" in error
    assert "threshold_changes" not in artifact.verify(spam_only)
