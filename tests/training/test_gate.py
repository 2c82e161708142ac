"""The gate: a candidate made worse on purpose (trained on shuffled labels) is refused, --force promotes it
and says so in the manifest; the rules themselves on constructed reports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from moderation_service.live_model import live_version
from moderation_service.model import artifact
from training.cli import main
from training.comparison import TOXICITY_DECISION
from training.gate import REFUSED, GateRules, check

from .conftest import read_manifest


def shuffled_labels(corpus: Path, path: Path, count: int = 1500) -> Path:
    """``count`` texts of the corpus as moderator labels, each carrying another text's labels."""
    lines = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    chosen = random.Random(3).sample(lines, count)
    labels = [line["labels"] for line in chosen]
    random.Random(4).shuffle(labels)
    with path.open("w", encoding="utf-8") as handle:
        for n, (line, wrong) in enumerate(zip(chosen, labels, strict=True)):
            stamp = f"2026-11-{1 + n // 100:02d}T12:{n % 60:02d}:00Z"
            record = {"content": line["content"], "labels": wrong, "source": "moderator", "labelled_at": stamp}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def retrain(corpus: Path, labels: Path, models: Path, version: str, *extra: str) -> int:
    return main(["retrain", "--data", str(corpus), "--labels", str(labels), "--label-weight", "20",
                 "--models-dir", str(models), "--version", version, "--quiet", *extra])


def test_a_candidate_trained_on_shuffled_labels_is_refused_and_force_promotes_it(
    tmp_path: Path, corpus: Path, models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = shuffled_labels(corpus, tmp_path / "shuffled.jsonl")
    assert retrain(corpus, labels, models, "worse") == REFUSED == 3
    out = capsys.readouterr().out
    assert "gate: REFUSED, worse than the live model on:" in out
    assert "spam on base_validation: ROC-AUC" in out and "tolerance 0.0100" in out
    assert "not promoted; to promote it anyway: moderation-train models promote worse --force" in out
    assert live_version(models) == "v1"
    kept = read_manifest(models / "worse")
    assert kept["gate"]["passed"] is False and kept["forced"] is False
    failure = next(f for f in kept["gate"]["failures"] if f["score"] == "spam" and f["metric"] == "roc_auc")
    assert failure["difference"] < -0.01 and failure["set"] == "base_validation"
    assert (models / "worse" / "report" / "report.json").is_file()

    assert retrain(corpus, labels, models, "worse-forced", "--force") == 0
    out = capsys.readouterr().out
    assert "promoted anyway with --force" in out and "worse-forced is live" in out
    assert live_version(models) == "worse-forced"
    forced = artifact.verify(models / "worse-forced")  # the manifest records it and still verifies
    assert forced["forced"] is True and forced["gate"]["passed"] is False and forced["gate"]["forced"] is True


def entry(positives: int, negatives: int, auc: float | None, f1: float) -> dict:  # type: ignore[type-arg]
    return {"examples": positives + negatives, "positives": positives, "roc_auc": auc, "f1": f1}


def report(candidate: dict, current: dict | None) -> dict:  # type: ignore[type-arg]
    sets = {"base_validation": {"candidate": {"scores": candidate}}}
    if current is not None:
        sets["base_validation"]["current"] = {"scores": current}
    return sets


def test_tolerances_and_scores_with_too_few_examples() -> None:
    rules = GateRules(auc_tolerance=0.01, f1_tolerance=0.02, min_per_class=30)
    within = report({"spam": entry(100, 900, 0.975, 0.81)}, {"spam": entry(100, 900, 0.98, 0.82)})
    assert check(within, rules)["passed"] is True
    beyond = check(report({"spam": entry(100, 900, 0.96, 0.81)}, {"spam": entry(100, 900, 0.98, 0.84)}), rules)
    assert beyond["passed"] is False
    assert [f["metric"] for f in beyond["failures"]] == ["roc_auc", "f1"]
    assert beyond["failures"][0]["message"] == (
        "spam on base_validation: ROC-AUC 0.9600 vs 0.9800 live (-0.0200, tolerance 0.0100)")
    few = check(report({"threat": entry(5, 900, 0.5, 0.0)}, {"threat": entry(5, 900, 0.99, 0.9)}), rules)
    assert few["passed"] is True and few["not_gated"] == ["threat on base_validation (5 positive, 900 negative)"]


def test_the_toxicity_family_is_gated_on_its_decision_not_on_the_narrower_scores_own_f1() -> None:
    # The narrower scores' thresholds are chosen for the family's decision: a few labels can move them far
    # and their own F1 with them (as a retrain after 9 moderator decisions did), while the decision holds.
    rules = GateRules()
    decision = TOXICITY_DECISION
    candidate = {"identity_attack": entry(400, 9000, 0.934, 0.26), decision: entry(3967, 5839, None, 0.9114)}
    live = {"identity_attack": entry(400, 9000, 0.934, 0.48), decision: entry(3967, 5839, None, 0.9116)}
    assert check(report(candidate, live), rules)["passed"] is True
    worse_decision = {**candidate, decision: entry(3967, 5839, None, 0.86)}
    failed = check(report(worse_decision, live), rules)
    assert [(f["score"], f["metric"]) for f in failed["failures"]] == [(decision, "f1")]
    worse_ranking = {**candidate, "identity_attack": entry(400, 9000, 0.90, 0.48)}
    failed = check(report(worse_ranking, live), rules)
    assert [(f["score"], f["metric"]) for f in failed["failures"]] == [("identity_attack", "roc_auc")]
    # toxicity itself and spam are still gated on their own F1
    assert check(report({"toxicity": entry(400, 900, 0.98, 0.80)}, {"toxicity": entry(400, 900, 0.98, 0.85)}),
                 rules)["passed"] is False


def test_without_a_live_model_the_gate_passes() -> None:
    result = check(report({"spam": entry(100, 900, 0.6, 0.1)}, None), GateRules())
    assert result["passed"] is True and result["compared_with_live"] is False


def test_a_candidate_that_no_longer_scores_something_is_refused() -> None:
    result = check(report({"spam": entry(100, 900, 0.99, 0.9)}, {"spam": entry(100, 900, 0.98, 0.88)}), GateRules(),
                   lost=["toxicity"])
    assert result["passed"] is False
    assert [f["message"] for f in result["failures"]] == [
        "toxicity: the candidate was trained without labels for it and scores it 0; the live model scores it"]


def test_a_damaged_live_model_is_refused_before_any_training(
    tmp_path: Path, models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (models / "v1" / "model.joblib").write_bytes(b"damaged")
    no_labels = tmp_path / "labels.jsonl"
    no_labels.write_text("", encoding="utf-8")
    code = main(["retrain", "--data", str(tmp_path / "no-such-data"), "--labels", str(no_labels),
                 "--models-dir", str(models), "--version", "v2"])
    assert code == 2
    captured = capsys.readouterr()
    assert "the live model fails verification" in captured.err and "v1" in captured.err
    assert "normalising" not in captured.out + captured.err and not (models / "v2").exists()


def test_retraining_on_spam_data_alone_is_refused_when_the_live_model_scores_toxicity(
    tmp_path: Path, models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spam_only = Path(__file__).resolve().parents[2] / "data" / "youtube-spam"
    no_labels = tmp_path / "labels.jsonl"
    no_labels.write_text("", encoding="utf-8")
    code = main(["retrain", "--data", str(spam_only), "--labels", str(no_labels), "--models-dir", str(models),
                 "--version", "spam-only", "--quiet"])
    assert code == REFUSED
    out = capsys.readouterr().out
    assert "toxicity: the candidate was trained without labels for it and scores it 0; the live model scores it" in out
    assert live_version(models) == "v1"


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--tolerance", "-0.01", "--tolerance must be at least 0"),
    ("--f1-tolerance", "-1", "--f1-tolerance must be at least 0"),
    ("--min-per-class", "0", "--min-per-class must be at least 1"),
])
def test_a_gate_rule_that_makes_no_sense_is_bad_input_before_any_training(  # type: ignore[no-untyped-def]
        tmp_path: Path, corpus: Path, models: Path, capsys: pytest.CaptureFixture[str], option, value,
        message) -> None:
    """A negative tolerance asked the candidate to beat the live model by that much (every retrain refused,
    reading as a worse model) and --min-per-class 0 gated scores on sets without both classes."""
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "v2", "--quiet", option, value]) == 2
    assert message in capsys.readouterr().err
    assert not (models / "v2").exists()


def test_a_models_dir_that_does_not_exist_is_refused_not_taken_for_a_first_model(
        tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped --models-dir (or retrain run outside the project folder, where the default models/ is not)
    found no live model, so the candidate passed the gate uncompared and was made live in a new folder no
    service reads."""
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    missing = tmp_path / "modles"
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(missing),
                 "--quiet"]) == 2
    error = capsys.readouterr().err
    assert f"no folder {missing}" in error and "MODERATION_MODELS_DIR" in error
    assert not missing.exists()


def test_a_live_model_that_fails_to_unpickle_is_an_error_that_says_what_to_do(
        tmp_path: Path, corpus: Path, models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_hot_reload import unloadable

    unloadable(models, "v1")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "v2", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "the live model cannot be loaded, so the candidate cannot be compared with it" in error
    assert "ModuleNotFoundError" in error and "Roll back or promote a good version first" in error


def with_spam_fpr(base: dict, fpr: float) -> dict:  # type: ignore[type-arg]
    return {**base, "at_spam_threshold": {"false_positive_rate": fpr}}


def test_a_candidate_that_marks_more_ordinary_comments_spam_is_refused() -> None:
    """Marked spam, a comment is never seen by a moderator: a candidate with the same ranking and F1 at the hold
    threshold that marks more good comments spam at its spam threshold must not pass."""
    rules = GateRules()
    live = {"spam": with_spam_fpr(entry(300, 11000, 0.99, 0.84), 0.002)}
    same = {"spam": with_spam_fpr(entry(300, 11000, 0.99, 0.84), 0.0035)}
    assert check(report(same, live), rules)["passed"] is True  # within 0.002
    worse = {"spam": with_spam_fpr(entry(300, 11000, 0.99, 0.84), 0.009)}
    failed = check(report(worse, live), rules)
    assert failed["passed"] is False
    assert [f["message"] for f in failed["failures"]] == [
        "spam on base_validation: ordinary comments marked spam (unreviewed) 0.0090 vs 0.0020 live "
        "(+0.0070, tolerance 0.0020)"]
    # 600 ordinary comments: the tolerance is 1.2 of them, and one comment more is noise, not a worse model
    small = check(report({"spam": with_spam_fpr(entry(300, 600, 0.99, 0.84), 0.005)},
                         {"spam": with_spam_fpr(entry(300, 600, 0.99, 0.84), 0.0)}), rules)
    assert small["passed"] is True
    assert check(report(worse, live), GateRules(spam_fpr_tolerance=0.01))["passed"] is True


def test_a_negative_spam_fpr_tolerance_is_bad_input() -> None:
    with pytest.raises(ValueError, match="--spam-fpr-tolerance must be at least 0"):
        GateRules(spam_fpr_tolerance=-0.001)


@pytest.mark.parametrize("labels", ["no-such-export.jsonl", "truncated.jsonl.gz"])
def test_a_labels_file_that_cannot_be_read_is_named_before_training(
        tmp_path: Path, corpus: Path, models: Path, labels: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped --labels file died with a FileNotFoundError traceback, a truncated gzip export with gzip's
    EOFError or BadGzipFile traceback."""
    path = tmp_path / labels
    if path.suffix == ".gz":
        import gzip

        path.write_bytes(gzip.compress(b'{"content": "Danke", "labels": {"spam": 0}}\n' * 50)[:40])
    assert main(["retrain", "--data", str(corpus), "--labels", str(path), "--models-dir", str(models),
                 "--version", "v2", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: {path}: cannot read it (") and "Traceback" not in error
    assert not (models / "v2").exists()


def test_a_version_that_is_a_path_is_refused_before_training(
        tmp_path: Path, corpus: Path, models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """retrain --version ../elsewhere trained and wrote the candidate outside the models folder (no service
    reads it there), and only then failed to promote it."""
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "../elsewhere", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "--version '../elsewhere': a version is the name of a folder in the models folder" in error
    assert "normalising" not in error and not (tmp_path / "elsewhere").exists()


def test_a_models_dir_this_user_may_not_write_to_is_refused_before_training(
        tmp_path: Path, corpus: Path, models: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An operator without write access to models/ (the README: keep it writable by operators only) trained for
    minutes and then died with a PermissionError traceback writing the candidate. Simulated: the tests run as
    root, whom permissions do not stop."""
    import os

    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != models and access(path, mode, **kw))
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "v2"]) == 2
    error = capsys.readouterr().err
    assert f"this user may not write to {models}" in error and "normalising" not in error
    assert not (models / "v2").exists()


def test_a_report_folder_that_cannot_be_one_is_refused_before_training(
        tmp_path: Path, corpus: Path, models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """retrain --report naming a file trained, wrote the candidate, and then died with a FileExistsError traceback:
    no report, and the candidate neither promoted nor said to be kept."""
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "v2", "--report", str(tmp_path / "notes.txt")]) == 2
    error = capsys.readouterr().err
    assert f"--report {tmp_path / 'notes.txt'}: is a file, not a folder" in error and "normalising" not in error
    assert not (models / "v2").exists() and (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_a_candidate_is_not_promoted_over_a_live_model_it_was_not_compared_with(
        tmp_path: Path, corpus: Path, models: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Another operator rolled back (or promoted) while retrain scored and wrote its report: the candidate,
    compared with the version live before, was promoted all the same over the one live now, which it never
    faced (a candidate that beat a bad model replaced the good one the bad model had been rolled back to)."""
    from moderation_service.live_model import history, set_live
    from tests.test_hot_reload import make_version
    from training import retrain as retraining

    make_version(models, model_dir, "v0")
    write_report = retraining.report.write

    def meanwhile(*args: object, **kwargs: object) -> object:
        set_live(models, "v0")  # the other operator's promotion, while the report is written
        return write_report(*args, **kwargs)

    monkeypatch.setattr(retraining.report, "write", meanwhile)
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "v2", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert f"the candidate is kept in {models / 'v2'} with its report; not promoted, v0 is live now, and the " \
           "candidate was compared with v1" in error
    assert live_version(models) == "v0" and history(models) == ["v1"]
    assert read_manifest(models / "v2")["compared_with"] == "v1"


def test_the_version_a_candidate_is_compared_with_is_the_one_it_was_scored_against(
        tmp_path: Path, corpus: Path, models: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Another operator promoted v0 after the training and before the live model was loaded for the comparison:
    the candidate was scored against v0, but the version it was to be compared with had been read from LIVE just
    before (v1), so its promotion was refused as if it had faced v1 only ('compared with v1'), and its manifest
    said v0. The version compared with is now the one loaded and scored."""
    from moderation_service.live_model import history, set_live
    from tests.test_hot_reload import make_version
    from training import retrain as retraining

    make_version(models, model_dir, "v0")
    live_directory = retraining.live_directory
    looked: list[Path | None] = []

    def promoted_meanwhile(models_dir: Path) -> Path | None:
        if len(looked) == 1:  # after the training, as it loads the live model to compare the candidate with
            set_live(models, "v0")
        looked.append(live_directory(models_dir))
        return looked[-1]

    monkeypatch.setattr(retraining, "live_directory", promoted_meanwhile)
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    assert main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                 "--version", "v2", "--force", "--quiet"]) == 0, capsys.readouterr().err
    assert read_manifest(models / "v2")["compared_with"] == "v0"
    assert live_version(models) == "v2" and history(models) == ["v1", "v0"]


def test_a_candidate_not_promoted_while_models_is_held_says_to_promote_it_not_to_retrain(
        tmp_path: Path, corpus: Path, models: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Another command held models/ while retrain promoted its candidate: the candidate was kept, and the message
    said to 'run it again', which for retrain is a whole training; promoting the kept candidate is enough."""
    import fcntl

    from training import registry

    monkeypatch.setattr(registry, "LOCK_WAIT_SECONDS", 0)
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"content": "Danke", "labels": {"spam": 0}}\n', encoding="utf-8")
    with (models / registry.LOCK_FILE).open("a+", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("models prune, pid 4711\n")
        held.flush()
        code = main(["retrain", "--data", str(corpus), "--labels", str(labels), "--models-dir", str(models),
                     "--version", "v2", "--force", "--quiet"])
    assert code == 2
    error = capsys.readouterr().err
    assert (f"the candidate is kept in {models / 'v2'} with its report, not promoted: another moderation-train "
            f"command (models prune, pid 4711) is changing {models}; nothing was changed. When that one has "
            "finished, promote it without training again: moderation-train models promote v2") in error
    assert "Run it again" not in error
    assert live_version(models) == "v1" and read_manifest(models / "v2")["version"] == "v2"
