"""``moderation-train models``: list, promote (verified, with the Redis notice), rollback, prune."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from moderation_service.live_model import history, live_version, set_live
from moderation_service.review import keys
from tests.test_hot_reload import make_version, unloadable
from training import registry
from training.cli import main


@pytest.fixture
def versions(tmp_path: Path, model_dir: Path) -> Path:
    """v1 … v5, created a day apart (v1 oldest); v3 is live, v2 was live before it."""
    folder = tmp_path / "models"
    folder.mkdir()
    for day, version in enumerate(["v1", "v2", "v3", "v4", "v5"], 1):
        target = make_version(folder, model_dir, version)
        manifest = json.loads((target / "manifest.json").read_text())
        manifest["created_at"] = f"2026-11-{day:02d}T08:00:00Z"
        (target / "manifest.json").write_text(json.dumps(manifest))
    set_live(folder, "v2")
    set_live(folder, "v3")
    return folder


def models(folder: Path, *args: str) -> int:
    return main(["models", *args[:1], "--models-dir", str(folder), *args[1:]])


def damage(folder: Path, version: str) -> None:
    with (folder / version / "model.joblib").open("ab") as handle:
        handle.write(b"damage")


def test_list_shows_versions_oldest_first_with_live_and_predecessor(
    versions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage(versions, "v5")
    assert models(versions, "list") == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[:4] == ["version", "created", "data", "metrics"]
    assert [row[2:].split()[0] for row in rows[2:7]] == ["v1", "v2", "v3", "v4", "v5"]
    assert rows[3].startswith("< v2") and rows[4].startswith("* v3")
    assert "2026-11-03T08:00:00Z" in rows[4] and "1 sets, " in rows[4] and "spam AUC " in rows[4]
    assert rows[4].endswith("ok") and "FAILS VERIFICATION" in rows[6] and "does not match the manifest" in rows[6]


@pytest.fixture
def announcing_url(redis_url: str, redis: Redis) -> str:
    """The session's Redis database, flushed before and after the test (``redis``): the promotion the commands
    keep there (keys.promoted_model) would otherwise reach every service a later test starts on it, which
    then reports a version it does not serve (/readyz degraded)."""
    return redis_url


def test_promote_verifies_sets_live_and_notifies(
    versions: Path, announcing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client = sync_redis.Redis.from_url(announcing_url)
    listener = client.pubsub()
    listener.subscribe(keys.reload_channel(client.connection_pool.connection_kwargs["db"]))
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    assert models(versions, "promote", "v4", "--redis-url", announcing_url) == 0
    assert "v4 is live; reload notice heard by 1 " in capsys.readouterr().out
    notice = listener.get_message(timeout=2)
    listener.close()
    # kept with it, for the processes that were not listening (see tests/test_hot_reload.py)
    assert client.get(keys.promoted_model()) == notice["data"]
    assert models(versions, "rollback", "--redis-url", announcing_url) == 0
    assert json.loads(client.get(keys.promoted_model()))["version"] == "v3"
    client.delete(keys.promoted_model())
    assert models(versions, "promote", "v3", "--redis-url", announcing_url) == 0  # the live one: only announced again
    assert json.loads(client.get(keys.promoted_model()))["version"] == "v3"
    client.delete(keys.promoted_model())
    client.close()
    assert json.loads(notice["data"])["version"] == "v4" and json.loads(notice["data"])["event"] == "promoted"
    assert live_version(versions) == "v3" and history(versions) == ["v2"]


def test_the_reload_notice_reaches_only_the_services_of_its_own_database(
    versions: Path, announcing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Redis hands a published message to subscribers on every database of the server: services of another
    # deployment (another database) must neither reload nor be counted as having heard it.
    client = sync_redis.Redis.from_url(announcing_url)
    other = client.connection_pool.connection_kwargs["db"] % 15 + 1
    listener = client.pubsub()
    listener.subscribe(keys.reload_channel(other))
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    assert models(versions, "promote", "v4", "--redis-url", announcing_url) == 0
    assert "v4 is live; reload notice heard by 0 " in capsys.readouterr().out
    # Redis hands a subscriber its messages in the order they were published: the first to reach the listener is
    # one published after the promotion, not the notice (no waiting to see that nothing comes).
    client.publish(keys.reload_channel(other), "after the promotion")
    first = listener.get_message(timeout=10)
    assert first is not None and first["data"] == b"after the promotion", first
    listener.close()
    client.close()


def test_promote_refuses_a_damaged_artifact_and_an_unknown_version(
    versions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage(versions, "v4")
    assert models(versions, "promote", "v4") == 2
    error = capsys.readouterr().err
    assert error.startswith("moderation-train: error: not promoted, v4 fails verification: ")
    assert "does not match the manifest" in error
    assert models(versions, "promote", "v9") == 2
    assert "no model version 'v9'" in capsys.readouterr().err
    assert live_version(versions) == "v3"


def test_rollback_walks_back_through_history(versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert models(versions, "rollback") == 0
    assert live_version(versions) == "v2" and history(versions) == []
    assert "v2 is live" in capsys.readouterr().out
    assert models(versions, "rollback") == 2
    assert "nothing to roll back to" in capsys.readouterr().err
    assert live_version(versions) == "v2"


def test_rollback_refuses_a_damaged_predecessor(versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damage(versions, "v2")
    assert models(versions, "rollback") == 2
    assert "not rolled back, v2 fails verification" in capsys.readouterr().err
    assert live_version(versions) == "v3" and history(versions) == ["v2"]


def test_prune_never_removes_live_or_its_predecessor(
    versions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_live(versions, "v1")  # live is now the oldest, v3 its predecessor
    assert models(versions, "prune", "--keep", "1", "--dry-run") == 0
    assert "would remove 2 version(s): v2, v4" in capsys.readouterr().out
    assert sorted(p.name for p in versions.iterdir() if p.is_dir()) == ["v1", "v2", "v3", "v4", "v5"]
    assert models(versions, "prune", "--keep", "1") == 0
    assert sorted(p.name for p in versions.iterdir() if p.is_dir()) == ["v1", "v3", "v5"]
    assert history(versions) == ["v3"]  # v2 left the history with its folder
    monkeypatch.setenv(registry.KEEP_VARIABLE, "0")
    assert models(versions, "prune") == 2
    assert "MODERATION_MODELS_KEEP: expected a whole number of at least 1" in capsys.readouterr().err


def test_the_models_dir_defaults_to_the_setting(
    versions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODERATION_MODELS_DIR", str(versions))
    assert main(["models", "list"]) == 0
    assert "* v3" in capsys.readouterr().out


def test_a_version_the_gate_refused_is_promoted_only_with_force_and_then_marked_forced(
    versions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``retrain`` keeps a refused candidate and says how to promote it anyway; promoting it by hand left its
    manifest saying ``"forced": false`` and ``models list`` showing it as ok, as if it had passed."""
    failure = {"message": "spam on base_validation: ROC-AUC 0.9300 vs 0.9800 live (-0.0500, tolerance 0.0100)"}
    registry.update_manifest(versions / "v4", gate={"passed": False, "failures": [failure]}, forced=False,
                             compared_with="v3")
    assert models(versions, "promote", "v4") == 2
    error = capsys.readouterr().err
    assert "not promoted, the gate refused v4 against v3: spam on base_validation: ROC-AUC 0.9300" in error
    assert "models promote v4 --force" in error
    assert live_version(versions) == "v3"
    assert models(versions, "promote", "v4", "--force") == 0
    assert live_version(versions) == "v4"
    assert json.loads((versions / "v4" / "manifest.json").read_text())["forced"] is True
    capsys.readouterr()
    assert models(versions, "list") == 0
    row = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("* v4"))
    assert row.endswith("ok (promoted by --force past the gate)")
    assert models(versions, "rollback") == 0 and models(versions, "promote", "v4") == 0  # forced once: recorded


def unreachable_redis_url() -> str:
    """A Redis URL where nothing listens (a port the system just handed out and took back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://:secret@127.0.0.1:{port}/3"


@pytest.mark.parametrize("command", [("promote", "v4"), ("rollback",)])
def test_an_unreachable_redis_changes_nothing_and_says_so(
    versions: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    """With a wrong --redis-url (or Redis down) the command died with a traceback after LIVE had been switched:
    the operator could not tell that the model was live for the processes sharing the folder and not for the
    others. Now Redis is reached first, and nothing changes without it."""
    assert models(versions, *command, "--redis-url", unreachable_redis_url()) == 2
    error = capsys.readouterr().err
    assert error.startswith("moderation-train: error: cannot reach Redis at 127.0.0.1:")
    assert "nothing was changed" in error and "--redis-url" in error and "secret" not in error
    assert live_version(versions) == "v3" and history(versions) == ["v2"]


def test_retrain_from_an_unreachable_redis_says_what_to_do(
    versions: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["retrain", "--data", str(corpus), "--redis-url", unreachable_redis_url(),
                 "--models-dir", str(versions), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("moderation-train: error: cannot read the labels from Redis at 127.0.0.1:")
    assert "--labels FILE.jsonl" in error and "secret" not in error
    assert live_version(versions) == "v3"


@pytest.mark.parametrize(("command", "target"), [(("promote", "v4"), "v4"), (("rollback",), "v2")])
def test_a_version_that_cannot_be_loaded_is_not_made_live(
    versions: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], target: str
) -> None:
    """Only the manifest and checksums were checked: a model that verifies but fails to unpickle here became
    live, every running process refused it, and a process (re)started then could not start at all."""
    unloadable(versions, target)
    assert models(versions, *command) == 2
    error = capsys.readouterr().err
    assert f"{target} cannot be loaded (ModuleNotFoundError: No module named 'no_such_module_here')" in error
    assert live_version(versions) == "v3" and history(versions) == ["v2"]


def test_thresholds_written_after_the_gate_are_noted_in_its_record_and_promotion_then_needs_force(
    versions: Path, corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``thresholds --write`` on a gated candidate left its gate record saying "passed" for thresholds it no
    longer has, and ``models promote`` went ahead on that verdict. The record is kept and notes the change; the
    candidate is promoted only with ``--force``; the live model's record is noted the same way."""
    gate = {"passed": True, "failures": [], "thresholds": json.loads((versions / "v4" / "manifest.json").read_text())[
        "thresholds"]}
    for version in ("v3", "v4"):
        registry.update_manifest(versions / version, gate=gate, forced=False, compared_with="v2")
    tune = ["thresholds", "--model", ".", "--data", str(corpus), "--hold-rate", "0.01", "--attribute", "spam",
            "--write"]
    monkeypatch.chdir(versions / "v4")  # --model . names it too
    assert main(tune) == 0
    out = capsys.readouterr().out
    manifest = json.loads((versions / "v4" / "manifest.json").read_text())
    [change] = manifest["gate"]["thresholds_changed"]
    assert change == {**manifest["threshold_changes"][-1], "while_live": False}
    assert change["to"] == manifest["thresholds"]["spam"]["hold"]
    assert change["from"] == gate["thresholds"]["spam"]["hold"] != change["to"]
    assert manifest["gate"]["passed"] is True and manifest["gate"]["thresholds"] == gate["thresholds"]  # kept
    assert "note: the gate passed v4 against v2 with the thresholds it had then" in out
    assert "promoting it now needs --force (moderation-train models promote v4 --force" in out

    assert models(versions, "list") == 0
    row = next(r for r in capsys.readouterr().out.splitlines() if r[2:].startswith("v4"))
    assert "ok (thresholds changed after the gate) (F1 measured at earlier thresholds: spam hold " in row
    assert models(versions, "promote", "v4") == 2
    error = capsys.readouterr().err
    assert "not promoted, the gate passed v4 against v2 with other thresholds than it has now (spam hold " in error
    assert "models promote v4 --force" in error and live_version(versions) == "v3"
    assert models(versions, "promote", "v4", "--force") == 0 and live_version(versions) == "v4"
    assert json.loads((versions / "v4" / "manifest.json").read_text())["forced"] is True

    assert main([*tune[:2], str(versions / "v4"), *tune[3:]]) == 0  # the live one now: noted, nothing refused
    assert "it is live and serves with them now" in capsys.readouterr().out
    assert models(versions, "promote", "v4") == 0


def test_list_says_when_the_metrics_were_measured_at_thresholds_since_changed(
    versions: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The validation metrics are training's, each F1 at the hold threshold of then: ``models list`` showed
    them as the model's after ``thresholds --write`` had moved that threshold, and said nothing of it for a
    model that never went through the gate. It now names the threshold they were measured at."""
    before = json.loads((versions / "v4" / "manifest.json").read_text())
    assert "gate" not in before
    assert main(["thresholds", "--model", str(versions / "v4"), "--data", str(corpus), "--hold-rate", "0.01",
                 "--attribute", "spam", "--write"]) == 0
    capsys.readouterr()
    now = json.loads((versions / "v4" / "manifest.json").read_text())["thresholds"]["spam"]["hold"]
    measured = before["metrics"]["spam"]["threshold"]
    assert measured == before["thresholds"]["spam"]["hold"] != now
    assert models(versions, "list") == 0
    rows = capsys.readouterr().out.splitlines()
    v4 = next(r for r in rows if r[2:].startswith("v4"))
    assert v4.endswith(f"ok (F1 measured at earlier thresholds: spam hold {measured:g}, now {now:g})")
    assert next(r for r in rows if r[2:].startswith("v5")).endswith("ok")  # untouched: as it was


def test_thresholds_written_while_live_do_not_refuse_the_version_after_a_rollback(
    versions: Path, corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tuning the live model is what the README advises; after a rollback, promoting it again needs no
    --force: the operator chose those thresholds for the model in service (named here as ``--model .``)."""
    registry.update_manifest(versions / "v3", gate={"passed": True, "failures": []}, forced=False, compared_with="v2")
    monkeypatch.chdir(versions / "v3")
    assert main(["thresholds", "--model", ".", "--data", str(corpus), "--hold-rate", "0.01",
                 "--attribute", "spam", "--write"]) == 0
    assert json.loads((versions / "v3" / "manifest.json").read_text())["gate"]["thresholds_changed"][0]["while_live"]
    assert models(versions, "rollback") == 0 and live_version(versions) == "v2"
    assert models(versions, "promote", "v3") == 0 and live_version(versions) == "v3"
    assert "forced" not in capsys.readouterr().out
    assert json.loads((versions / "v3" / "manifest.json").read_text())["forced"] is False


@pytest.mark.parametrize("action", [["list"], ["promote", "v1"], ["rollback"], ["prune"]],
                         ids=["list", "promote", "rollback", "prune"])
def test_a_models_dir_that_does_not_exist_is_named_as_such(
        tmp_path: Path, action: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped --models-dir (or a run outside the project folder, where the default models/ is not): prune
    died with a FileNotFoundError traceback (.HISTORY.tmp), rollback said HISTORY listed no earlier version,
    promote that the version was unknown ('versions: none'), and list that there were no artifacts."""
    missing = tmp_path / "modles"
    assert models(missing, *action) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"moderation-train: error: no folder {missing}: ") and "Traceback" not in error
    assert "--models-dir" in error and "MODERATION_MODELS_DIR" in error
    assert not missing.exists()


@pytest.mark.parametrize("other", [["promote", "v5"], ["rollback"], ["prune", "--keep", "1"]],
                         ids=["promote", "rollback", "prune"])
def test_a_second_operator_waits_for_a_change_of_models_in_progress(
        versions: Path, other: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two operators at once: one promotes v4 and has read v3 as the version to remember when the other acts.
    Before, a promotion of v5 then remembered v3 too (HISTORY v2 v3 v3: v5, live for a moment, was lost, and
    the first promotion then made v4 live over it), and a prune removed v4, the version being made live. Now
    the second command waits for the first (here not at all) and, while it still holds models/, changes
    nothing and says so."""
    import threading

    from moderation_service import live_model

    monkeypatch.setattr(registry, "LOCK_WAIT_SECONDS", 0)
    inside, release = threading.Event(), threading.Event()
    write_history = live_model.write_history
    first = threading.current_thread()

    def pausing(models_dir: Path, names: list[str]) -> None:
        write_history(models_dir, names)
        if threading.current_thread() is not first:  # the first operator, between reading LIVE and writing it
            inside.set()
            release.wait()

    monkeypatch.setattr(live_model, "write_history", pausing)
    codes: list[int] = []
    promoting = threading.Thread(target=lambda: codes.append(models(versions, "promote", "v4")))
    promoting.start()
    try:
        while not inside.wait(0.05):  # a promotion that ends without pausing fails the test, not hangs it
            assert promoting.is_alive(), (codes, capsys.readouterr().err)
        assert models(versions, *other) == 2
    finally:
        release.set()
        promoting.join()
    error = capsys.readouterr().err
    assert "another moderation-train command (models promote v4, pid " in error
    assert f"is changing {versions}; nothing was changed" in error
    assert codes == [0] and live_version(versions) == "v4" and history(versions) == ["v2", "v3"]
    assert sorted(p.name for p in versions.iterdir() if p.is_dir()) == ["v1", "v2", "v3", "v4", "v5"]
    assert models(versions, "promote", "v5") == 0
    assert live_version(versions) == "v5" and history(versions) == ["v2", "v3", "v4"]


def test_a_version_is_a_folder_of_the_models_folder_not_a_path(
        versions: Path, tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'models promote ../elsewhere' made an artifact outside the models folder live (LIVE read '../elsewhere'):
    models list did not show it, and prune and the hosts sharing the folder knew nothing of it."""
    make_version(tmp_path, model_dir, "elsewhere")
    for name in ("../elsewhere", str(tmp_path / "elsewhere"), "."):
        assert models(versions, "promote", name) == 2
        error = capsys.readouterr().err
        assert f"no model version {name!r} in {versions}: a version is the name of a folder in it" in error
    assert live_version(versions) == "v3"


def test_a_version_whose_name_has_a_space_rolls_back(
        versions: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """train --out 'models/spam model' names the version 'spam model'; HISTORY was read by words, so after
    promoting another version a rollback looked for a version 'model'."""
    make_version(versions, model_dir, "spam model")
    assert models(versions, "promote", "spam model") == 0
    assert models(versions, "promote", "v4") == 0
    assert history(versions) == ["v2", "v3", "spam model"]
    assert models(versions, "rollback") == 0
    assert live_version(versions) == "spam model" and "spam model is live" in capsys.readouterr().out


def test_a_rollback_target_removed_by_hand_says_what_to_do(
        versions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """HISTORY's last version deleted by hand (rm -r models/v2): rollback said only "no model version 'v2'", and
    said it again on every try, with no way out named."""
    import shutil

    shutil.rmtree(versions / "v2")
    assert models(versions, "rollback") == 2
    error = capsys.readouterr().err
    assert (f"not rolled back: {versions}/HISTORY names v2 as the version live before, and its folder is gone "
            "(removed by hand?); promote the version to go back to (models promote VERSION; versions: v1, v3, v4, "
            f"v5), or remove the line v2 from {versions}/HISTORY") in error
    assert live_version(versions) == "v3" and history(versions) == ["v2"]


@pytest.mark.parametrize("edit", [{"metrics": [1, 2]}, {"metrics": {"spam": {"roc_auc": "high"}}},
                                  {"data": "all of it"}, {"gate": "passed"}],
                         ids=["metrics-list", "auc-text", "data-text", "gate-text"])
def test_list_shows_every_version_when_one_manifest_has_odd_fields(
        versions: Path, edit: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    """A manifest edited by hand (or written by another tool) whose descriptive fields have another shape still
    verifies and loads, but models list, the command that finds such a model, died with an AttributeError
    traceback or "Unknown format code 'f'", and listed none of the versions."""
    manifest = json.loads((versions / "v4" / "manifest.json").read_text())
    manifest.update(edit)
    (versions / "v4" / "manifest.json").write_text(json.dumps(manifest))
    assert models(versions, "list") == 0
    rows = capsys.readouterr().out.splitlines()
    assert sorted(row[2:].split()[0] for row in rows[2:7]) == ["v1", "v2", "v3", "v4", "v5"]
    odd = next(row for row in rows if row[2:].startswith("v4"))
    assert "ok (manifest fields not as models list reads them: " in odd
    assert all(row.endswith("ok") for row in rows[2:7] if not row[2:].startswith("v4"))
