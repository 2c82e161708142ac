"""``moderation-train train`` end to end on a tiny corpus, and its error path."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
from pathlib import Path

import pytest

from moderation_service.model import artifact
from moderation_service.model.attributes import ATTRIBUTES, TOXICITY_FAMILY
from training.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "data"
REPOSITORY_DATA = Path(__file__).resolve().parents[2] / "data"

HAM = ["Danke für den Beitrag", "Great post, thanks", "Ich sehe das anders", "Interesting point on the budget",
       "Wann kommt der nächste Teil", "Nice song, love it", "Gute Analyse der Lage", "I disagree with the author"]
SPAM = ["Check out my channel http://spam{}.example subscribe", "Buy cheap pills at www.pills{}.example",
        "FREE iPad winner text WIN to 8008{}", "Make money online visit http://cash{}.example"]
TOXIC = {  # text -> the family labels besides toxicity
    "du bist ein Vollidiot": {"insult": 1},
    "you stupid moron": {"insult": 1, "profanity": 1},
    "I will kill you": {"threat": 1, "severe_toxicity": 1},
    "those people are vermin": {"identity_attack": 1, "severe_toxicity": 1},
    "what the fuck is this shit": {"profanity": 1},
}


def write_corpus(path: Path) -> Path:
    lines = []
    for i in range(12):
        lines += [{"content": f"{t} {i}", "labels": {"spam": 0, "toxicity": 0}, "source": "ham"} for t in HAM]
        lines += [{"content": t.format(i), "labels": {"spam": 1}, "source": "spam"} for t in SPAM]
        for text, labels in TOXIC.items():
            family = {a: labels.get(a, 0) for a in TOXICITY_FAMILY if a != "toxicity"}
            lines.append({"content": f"{text} {i}", "labels": {"spam": 0, "toxicity": 1, **family},
                          "source": "toxic"})
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    return path


def test_train_writes_an_artifact_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    out = tmp_path / "artifact"
    code = main(["train", "--data", str(corpus), "--data", str(FIXTURES / "germeval2018"), "--out", str(out),
                 "--version", "tiny-1", "--validation-fraction", "0.3", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads(printed.strip().splitlines()[-1])
    assert summary["artifact"] == str(out)

    model = artifact.load(out)
    assert model.version == "tiny-1"
    assert set(model.thresholds) == set(ATTRIBUTES)
    assert set(model.thresholds["spam"]) == {"hold", "spam"}
    assert model.thresholds["spam"]["spam"] >= model.thresholds["spam"]["hold"]
    assert summary["thresholds"] == model.thresholds
    manifest = model.manifest
    assert [d["name"] for d in manifest["data"]] == ["corpus.jsonl", "germeval2018"]
    assert manifest["training"]["seconds"] >= 0 and manifest["training"]["peak_memory_mb"] > 0
    assert (out / "evaluation.txt").read_text(encoding="utf-8").startswith("attribute")
    spam = model.scores("Check out my channel http://spam99.example subscribe")
    ham = model.scores("Danke für den Beitrag 99")
    assert spam["spam"] > ham["spam"]


def test_the_manifest_counts_what_each_dataset_gave_to_training_and_validation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSONL file's examples name their own sources ("ham", "spam", …), not the file: its counts were 0. A
    text repeated within a source is used once, and the manifest and the progress say how many were left out."""
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    corpus.write_text("".join(lines + lines[:5]), encoding="utf-8")  # 5 repeats
    out = tmp_path / "artifact"
    assert main(["train", "--data", str(corpus), "--data", str(FIXTURES / "germeval2018"), "--out", str(out),
                 "--validation-fraction", "0.3"]) == 0
    data = {d["name"]: d for d in artifact.load(out).manifest["data"]}
    jsonl, germeval = data["corpus.jsonl"], data["germeval2018"]
    assert jsonl["examples"] == len(lines) + 5
    assert jsonl["train_examples"] > 0 and jsonl["validation_examples"] > 0
    assert jsonl["train_examples"] + jsonl["validation_examples"] == len(lines)
    assert germeval["train_examples"] + germeval["validation_examples"] == germeval["examples"] == 4
    assert "(5 repeated or empty texts left out)" in capsys.readouterr().err


def test_one_spam_dataset_alone_trains_a_spam_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dataset with spam labels only (here the committed YouTube comments) trains the spam head; the
    toxicity heads are not trained, say so, score 0 and never hold."""
    out = tmp_path / "artifact"
    code = main(["train", "--data", str(REPOSITORY_DATA / "youtube-spam"), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().err  # progress
    assert "not trained (no labelled examples of both classes in --data): toxicity, severe_toxicity" in printed
    model = artifact.load(out)
    assert model.untrained == tuple(a for a in ATTRIBUTES if a != "spam")
    assert model.manifest["threshold_policy"]["not_chosen"] == list(model.untrained)
    assert all(model.thresholds[a]["hold"] == 0.99 for a in model.untrained)
    assert 0.05 <= model.thresholds["spam"]["hold"] < 0.99
    assert set(model.manifest["metrics"]) == {"spam"} and model.manifest["metrics"]["spam"]["roc_auc"] > 0.9
    assert "trained" not in model.manifest["metrics"]["spam"]
    spam = model.scores("Check out my new channel and subscribe!!! http://www.example.com/music")
    insult = model.scores("You are a stupid idiot and I hate you")
    assert spam["spam"] > 0.5 > insult["spam"]
    assert all(insult[a] == 0.0 for a in model.untrained)


def test_bad_jsonl_exits_2_naming_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"content": "ok", "labels": {"spam": 0}}\n{"content": "x", "labels": {"spam": 3}}\n',
                      encoding="utf-8")
    assert main(["train", "--data", str(corpus), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: {corpus}:2: ")
    assert "must be 0 or 1" in error
    assert not (tmp_path / "out").exists()


def test_an_out_folder_that_holds_a_model_is_refused(
        tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Training into models/<the live version> replaced the live model in place, past the gate, and left its
    rollback pointing at the new one."""
    live = Path(shutil.copytree(model_dir, tmp_path / "models" / "v1"))
    before = (live / "model.joblib").read_bytes()
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    assert main(["train", "--data", str(corpus), "--out", str(live), "--quiet"]) == 2
    assert f"{live} holds a model already" in capsys.readouterr().err
    assert (live / "model.joblib").read_bytes() == before


def test_same_dataset_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(FIXTURES / "sms-spam")
    assert main(["train", "--data", folder, "--data", folder, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "the same dataset was given twice: sms-spam" in capsys.readouterr().err


def test_the_same_data_trains_a_byte_identical_model(tmp_path: Path, model_dir: Path) -> None:
    """The session's model (tests/conftest.py), trained again from the same corpus: the same heads and
    thresholds, and the same model file. Operators compare models, so a retraining on unchanged labels must
    not differ by chance (fitted two at a time in threads, the heads differed from run to run)."""
    from training.train import load_data, train, write

    corpus = model_dir.parent / "corpus.jsonl"
    again = write(train(load_data([corpus], report=lambda _: None), report=lambda _: None), tmp_path / "again",
                  version="test-model")

    first, second = artifact.load(model_dir), artifact.load(again)
    assert second.thresholds == first.thresholds
    assert (again / "model.joblib").read_bytes() == (model_dir / "model.joblib").read_bytes()


def small_target_data(folder: Path, videos_rows: int = 80, germeval_lines: int = 400) -> Path:
    """The first rows of each YouTube video and of GermEval 2018 from the repository's data/: real texts, few
    enough to train on in a second or two."""
    youtube, germeval = folder / "youtube-spam", folder / "germeval2018"
    youtube.mkdir(parents=True)
    germeval.mkdir()
    for video in sorted((REPOSITORY_DATA / "youtube-spam").glob("Youtube0*.csv")):
        with video.open(encoding="utf-8", newline="") as source, (youtube / video.name).open(
                "w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target)
            for row in itertools.islice(csv.reader(source), videos_rows + 1):
                writer.writerow(row)
    lines = (REPOSITORY_DATA / "germeval2018" / "germeval2018.training.txt").read_text(encoding="utf-8")
    (germeval / "germeval2018.training.txt").write_text("".join(lines.splitlines(keepends=True)[:germeval_lines]),
                                                       encoding="utf-8")
    return folder


def test_targets_hold_out_each_video_and_each_germeval_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "targets.json"
    data = small_target_data(tmp_path / "data")
    assert main(["targets", "--data", str(data), "--folds", "2", "--json", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    videos = results["spam_youtube_leave_one_video_out"]
    assert [v["video"] for v in videos] == sorted({"KatyPerry", "LMFAO", "Psy", "Shakira"})
    for video in videos:
        assert video["examples"] == 80
        assert 0.8 <= video["roc_auc"] <= 1.0
        # The best threshold of the video itself bounds what any threshold chosen elsewhere reaches.
        assert video["at_hold"]["f1"] <= video["best_f1_on_the_video"] <= 1.0
        assert video["at_spam"]["f1"] <= video["best_f1_on_the_video"]
    assert [part["fold"] for part in results["germeval2018_held_out"]] == [0, 1]
    table = capsys.readouterr().out
    assert "leave one YouTube video out" in table and "bestF1" in table and "GermEval 2018" in table


def test_an_artifact_trained_into_models_is_named_by_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service's error without a model says to run ``train --out models/<version>`` and promote it: the
    manifest then named a timestamp, so the service, /readyz and retrain's report spoke of a version that
    ``models list`` did not show and ``models promote`` did not know."""
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    models = tmp_path / "models"
    assert main(["train", "--data", str(corpus), "--out", str(models / "first"), "--validation-fraction", "0.3",
                 "--quiet"]) == 0
    assert artifact.load(models / "first").version == "first"
    assert main(["models", "promote", "first", "--models-dir", str(models)]) == 0
    assert "first is live" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["", "\n\n  \n", '{"content": "   ", "labels": {"spam": 1}}\n'],
                         ids=["empty", "blank-lines", "whitespace-text"])
def test_data_without_a_text_is_refused_naming_it(
        tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty JSONL file (an export that failed), or one whose texts are all blank, stopped training with
    scikit-learn's IndexError traceback from deep inside fitting the features."""
    corpus = tmp_path / "labels.jsonl"
    corpus.write_text(content, encoding="utf-8")
    assert main(["train", "--data", str(corpus), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("moderation-train: error: ") and "Traceback" not in error
    assert str(corpus) in error and "no text to train on" in error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("out", ["a-file", "a-file/model"], ids=["file", "inside-a-file"])
def test_an_out_that_cannot_be_a_folder_is_refused_before_training(
        tmp_path: Path, out: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--out naming a file (or a path under one) was found out only when the artifact was written, after the
    whole training (minutes on the shared data), with a FileExistsError or NotADirectoryError traceback."""
    from training import train as training

    (tmp_path / "a-file").write_text("notes\n", encoding="utf-8")
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    trainings: list[object] = []
    real_train = training.train
    monkeypatch.setattr(training, "train", lambda *a, **k: trainings.append(a) or real_train(*a, **k))
    assert main(["train", "--data", str(corpus), "--out", str(tmp_path / out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: --out {tmp_path / out}: ") and "Traceback" not in error
    assert "choose another --out" in error
    assert trainings == []
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "notes\n"


def test_an_artifact_that_cannot_be_written_is_a_message_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A write that fails after training (a full disk, a folder made read-only meanwhile) says what failed and
    that no model was written there; the folder holds no manifest, so nothing half-written passes for one."""
    from moderation_service.model import artifact as artifacts

    corpus = write_corpus(tmp_path / "corpus.jsonl")
    out = tmp_path / "out"

    def full_disk(value: object, filename: Path, **kwargs: object) -> None:
        Path(filename).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifacts.joblib, "dump", full_disk)
    assert main(["train", "--data", str(corpus), "--out", str(out), "--validation-fraction", "0.3", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: cannot write the artifact into {out} ")
    assert "No space left on device" in error and "Traceback" not in error
    assert not (out / "manifest.json").exists()
    with pytest.raises(artifacts.ModelArtifactError):
        artifacts.verify(out)


@pytest.mark.parametrize("precision", ["2", "0", "98"])
def test_a_spam_precision_outside_0_to_1_is_refused(
        tmp_path: Path, precision: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--spam-precision 2 trained a model whose spam threshold stayed at 0.99 (no cut reaches it), 0 one whose
    spam threshold was the hold threshold (every comment held as possible spam marked spam), both silently."""
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--data", str(tmp_path / "not-read.jsonl"), "--out", str(tmp_path / "out"),
              "--spam-precision", precision])
    assert exit_.value.code == 2
    assert (f"argument --spam-precision: expected a share above 0 and at most 1 (0.98 for 98 %), got {precision!r}"
            in capsys.readouterr().err)


def test_ctrl_c_while_the_artifact_is_written_leaves_no_artifact_and_no_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C ended moderation-train with a KeyboardInterrupt traceback. Interrupted while writing, the folder
    holds no manifest (written last): not an artifact, and the same --out trains again."""
    from moderation_service.model import artifact as artifacts

    corpus = write_corpus(tmp_path / "corpus.jsonl")
    out = tmp_path / "out"
    dump = artifacts.joblib.dump

    def interrupted(value: object, filename: Path, **kwargs: object) -> None:
        Path(filename).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(artifacts.joblib, "dump", interrupted)
    args = ["train", "--data", str(corpus), "--out", str(out), "--validation-fraction", "0.3", "--quiet"]
    assert main(args) == 130
    error = capsys.readouterr().err
    assert error == ("moderation-train: interrupted; no model is left half-written (an artifact is complete only "
                     "once its manifest.json, written last, is there)\n")
    with pytest.raises(artifacts.ModelArtifactError, match="no manifest.json"):
        artifacts.verify(out)
    monkeypatch.setattr(artifacts.joblib, "dump", dump)
    assert main(args) == 0
    assert artifacts.load(out).version == "out"


def test_an_out_this_user_may_not_write_to_is_refused_before_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only --out folder (simulated: the tests run as root, whom permissions do not stop) was found out
    only when the artifact was written, after the training, with a PermissionError traceback."""
    import os

    read_only = tmp_path / "read-only"
    read_only.mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != read_only and access(path, mode, **kw))
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    assert main(["train", "--data", str(corpus), "--out", str(read_only / "v1")]) == 2
    error = capsys.readouterr().err
    assert f"moderation-train: error: --out {read_only / 'v1'}: this user may not write to {read_only}" in error
    assert "normalising" not in error and not (read_only / "v1").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--folds", "0"], "argument --folds: expected a whole number of at least 2 (parts of GermEval 2018 to hold "
                       "out in turn), got '0'"),
    (["--folds", "1"], "argument --folds: expected a whole number of at least 2"),
    (["--json", "{tmp}/no-such-folder/targets.json"], "--json {tmp}/no-such-folder/targets.json: no folder "
                                                       "{tmp}/no-such-folder to write it in"),
    (["--json", "{tmp}"], "--json {tmp}: a folder; name the file to write"),
])
def test_targets_refuses_what_would_fail_after_the_run(
        tmp_path: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--folds 0 printed nothing at all and exited 0, --folds 1 held out all of GermEval and stopped with an error
    after loading the data; a --json file that cannot be written died with a traceback after the whole run (9.5
    minutes on the shared data), its results printed but not kept."""
    from training import targets

    runs: list[object] = []
    monkeypatch.setattr(targets, "run", lambda *a, **k: runs.append(a) or {})
    args = [arg.format(tmp=tmp_path) for arg in args]
    try:
        code = main(["targets", "--data", str(REPOSITORY_DATA / "germeval2018"), *args])
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
    assert runs == []


def test_the_models_folder_itself_is_refused_as_out(
        tmp_path: Path, models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'train --out models' (the version folder forgotten) wrote model.joblib, manifest.json and evaluation.txt
    loose into the models folder, beside LIVE: an artifact named 'models' that models list did not show."""
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    before = sorted(p.name for p in models.iterdir())
    assert main(["train", "--data", str(corpus), "--out", str(models), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: --out {models}: the models folder itself (it holds LIVE); "
                            f"train into a version's folder in it, such as {models}/<new version>")
    assert sorted(p.name for p in models.iterdir()) == before


def test_two_labelled_files_of_the_same_name_both_train(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two sites' exports, both labels.jsonl in their own folders, were refused as 'the same dataset was given
    twice: labels.jsonl'. They are told apart by their paths; the same file given twice is still refused."""
    corpus = write_corpus(tmp_path / "corpus.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "blog-a" / "labels.jsonl", tmp_path / "blog-b" / "labels.jsonl"
    for path, lines in ((first, corpus[::2]), (second, corpus[1::2])):
        path.parent.mkdir()
        path.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["train", "--data", str(first), "--data", str(second), "--out", str(out),
                 "--validation-fraction", "0.3", "--quiet"]) == 0
    data = artifact.load(out).manifest["data"]
    assert [d["name"] for d in data] == ["labels.jsonl", str(second)]
    assert [d["examples"] for d in data] == [len(corpus[::2]), len(corpus[1::2])]
    assert all(d["train_examples"] + d["validation_examples"] == d["examples"] for d in data)
    assert main(["train", "--data", str(first), "--data", str(first), "--out", str(tmp_path / "again"),
                 "--quiet"]) == 2
    assert "the same dataset was given twice: labels.jsonl" in capsys.readouterr().err


def test_two_different_folders_of_one_dataset_are_named_as_such(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trimmed copy of a dataset folder beside the original was called 'the same dataset given twice'."""
    original = shutil.copytree(FIXTURES / "youtube-spam", tmp_path / "youtube-spam")
    trimmed = shutil.copytree(FIXTURES / "youtube-spam", tmp_path / "trimmed" / "youtube-spam")
    video = sorted(trimmed.glob("*.csv"))[0]
    video.write_text("".join(video.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    assert main(["train", "--data", str(original), "--data", str(trimmed), "--out", str(tmp_path / "out")]) == 2
    assert ("two different folders of the same dataset were given (youtube-spam: their files differ); give one of "
            "them") in capsys.readouterr().err
