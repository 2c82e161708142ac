"""The command line: ``score`` gives the API's numbers, ``serve`` runs on an embedded Redis, bad models are refused."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from moderation_service.cli import main
from tests.api.test_comments import INSULT, SPAM
from tests.conftest import ROOT, auth
from tests.redis_server import free_port

TEXTS = [
    "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich.",
    INSULT,
    SPAM,
    "Great post, thanks for sharing the slides.",
    "<p>Toller Artikel &amp; gute Quellen</p>",
]


@pytest.fixture(autouse=True)
def restore_logging():  # type: ignore[no-untyped-def]
    """``main`` configures logging to the stderr pytest captures for this test only; later tests must not log
    to that closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run_score(tmp_path: Path, lines: list[str], *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list]:  # type: ignore[type-arg]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = main(["score", str(source), "-o", str(out), *args])
    return code, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


async def test_score_gives_exactly_the_api_numbers(client, settings, model_dir, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODERATION_SITES_FILE", str(settings.sites_file))
    lines = [json.dumps({"id": i, "site_id": "kommblog", "content": t}) for i, t in enumerate(TEXTS)]
    code, results = run_score(tmp_path, lines, "--model", str(model_dir), monkeypatch=monkeypatch)
    assert code == 0
    for i, text in enumerate(TEXTS):
        body = {"site_id": "kommblog", "comment_id": f"c{i}", "content": text}
        response = await client.post("/v1/comments", json=body, headers=auth("blog"))
        body = await response.json()
        assert results[i] == {"id": i, "decision": body["decision"], "scores": body["scores"]}


def test_score_reads_stdin_and_reports_bad_lines(tmp_path, model_dir, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": "a", "content": "hallo"}\nnot json\n{"content": "no id"}\n'))
    code = main(["score", "--model", str(model_dir)])
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 1
    assert results[0]["id"] == "a" and set(results[0]) == {"id", "decision", "scores"}
    assert results[1]["line"] == 2 and "error" in results[1]
    assert results[2]["error"] == {"id": ["Missing data for required field."]}
    assert "line 2" in captured.err and "line 3" in captured.err


def test_score_refuses_what_the_api_refuses(tmp_path, model_dir, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    lines = ['{"id": 1, "content": "  "}', '{"id": 2, "content": "hallo", "site_id": "bad site!"}',
             '{"id": 3, "content": "hallo", "site_id": "kommblog"}', '{"id": 4, "content": "\\u200b\\u200b "}']
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["score", "--model", str(model_dir)])
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert results[0] == {"id": 1, "line": 1, "error": "content has no text"}
    assert results[1]["id"] == 2 and list(results[1]["error"]) == ["site_id"]
    assert results[2]["id"] == 3 and results[2]["decision"] == "publish"
    assert results[3] == {"id": 4, "line": 4, "error": "content has no text"}  # zero-width spaces only


def test_score_reports_json_that_python_chokes_on_and_goes_on(tmp_path, model_dir, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    # Before, a line nested 20,000 deep stopped the whole run with a RecursionError.
    lines = ['{"id": "n", "content": NaN}', "[" * 20_000 + "]" * 20_000, '{"id": "ok", "content": "hallo"}']
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["score", "--model", str(model_dir)])
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert results[0]["line"] == 1 and results[0]["error"].startswith("not valid JSON (NaN is not a JSON number")
    assert results[1] == {"id": None, "line": 2, "error": "JSON nested too deeply (more than 1,024 levels)"}
    assert results[2]["id"] == "ok" and results[2]["decision"] == "publish"


def test_score_reports_a_line_that_is_not_utf8_and_goes_on(tmp_path, model_dir, capsys):  # type: ignore[no-untyped-def]
    # Before, a Latin-1 line in the middle stopped the whole run with a UnicodeDecodeError traceback, and no line
    # after it was scored. BOM, CRLF and blank lines are read as the API reads them.
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'\xef\xbb\xbf{"id": 1, "content": "Gr\xc3\xbc\xc3\x9fe"}\r\n\r\n'
                       b'{"id": 2, "content": "Gr\xfc\xdfe aus K\xf6ln"}\r\n  \r\n{"id": 3, "content": "hallo"}')
    code = main(["score", str(source), "--model", str(model_dir)])
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 1
    assert [result["id"] for result in results] == [1, None, 3]
    assert results[1] == {"id": None, "line": 3, "error": "not valid JSON (not UTF-8: byte 25 cannot be read)"}
    assert results[0]["decision"] == results[2]["decision"] == "publish"
    assert captured.err == 'line 3: "not valid JSON (not UTF-8: byte 25 cannot be read)"\n'


@pytest.mark.parametrize("site", ["bad site!", "", "kommblog\n"])
def test_score_refuses_a_site_the_api_would_refuse(model_dir, monkeypatch, capsys, site):  # type: ignore[no-untyped-def]
    # A line's own bad site_id was refused, but --site was taken as given, and its lines scored.
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": 1, "content": "hallo"}\n'))
    with pytest.raises(SystemExit) as exit_:
        main(["score", "--model", str(model_dir), "--site", site])
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == ""
    assert "argument --site: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit" in captured.err


def test_score_says_a_compressed_file_must_be_decompressed(tmp_path, model_dir, capsys):  # type: ignore[no-untyped-def]
    # Training reads *.jsonl.gz; score reads JSONL only, and said so with a UnicodeDecodeError traceback.
    source = tmp_path / "comments.jsonl.gz"
    source.write_bytes(gzip.compress(b'{"id": 1, "content": "hallo"}\n'))
    code = main(["score", str(source), "--model", str(model_dir)])
    assert code == 2
    assert (f"{source} is gzip-compressed; score reads JSONL: gzip -dc {source} | moderation-service score"
            in capsys.readouterr().err)


def test_a_model_without_spam_labels_still_marks_a_filled_honeypot_spam(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from training.cli import main as train_main

    german_only = tmp_path / "german-only"
    assert train_main(["train", "--data", str(ROOT / "data" / "germeval2018"), "--out", str(german_only),
                       "--quiet"]) == 0
    lines = [json.dumps({"id": "bot", "content": "Schöner Beitrag, danke.", "honeypot": "http://x.example"}),
             json.dumps({"id": "reader", "content": "Schöner Beitrag, danke."}),
             json.dumps({"id": "rude", "content": "Du bist ein dummer Idiot, halt einfach die Klappe."}),
             # Spam by the signals alone next to a toxicity score: only toxicity has words to explain.
             json.dumps({"id": "rude-bot", "content": "Du bist ein dummer Idiot, halt einfach die Klappe.",
                         "honeypot": "x"})]
    code, rows = run_score(tmp_path, lines, "--model", str(german_only), monkeypatch=monkeypatch)
    assert code == 0
    decisions = {row["id"]: row["decision"] for row in rows}
    assert decisions == {"bot": "spam", "reader": "publish", "rude": "hold", "rude-bot": "spam"}
    assert all(row["scores"]["spam"] == 0.0 for row in rows)
    # Only the scores the model has are explained with words.
    from moderation_service.decisions import explained
    from moderation_service.model import artifact
    from moderation_service.policy import Decision, Reason

    model = artifact.load(german_only)
    rude = "Du bist ein dummer Idiot, halt einfach die Klappe."
    spam, toxicity = explained([Reason("score", "spam", 0.99, 0.99, Decision.SPAM),
                                Reason("score", "toxicity", 0.9, 0.5, Decision.HOLD)], model, model.assess(rude)[1])
    assert spam.phrases == () and "Idiot" in [phrase.text for phrase in toxicity.phrases]
    # GermEval's texts are all ham for spam: the evaluation lists spam, marked as not trained.
    evaluation = (german_only / "evaluation.txt").read_text(encoding="utf-8")
    assert evaluation.splitlines()[2].startswith("spam              (all; not trained)")
    assert json.loads((german_only / "manifest.json").read_text())["metrics"]["spam"]["trained"] is False


def test_score_refuses_a_tampered_model(tmp_path, model_dir, capsys):  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    with (broken / "model.joblib").open("ab") as handle:
        handle.write(b"tampered")
    code = main(["score", "--model", str(broken)])
    assert code == 2
    error = capsys.readouterr().err
    assert "does not match the manifest" in error and "Restore it or retrain" in error


def test_serve_without_model_says_how_to_get_one(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODERATION_MODELS_DIR", str(tmp_path / "models"))
    code = main(["score"])
    assert code == 2
    assert "moderation-train train" in capsys.readouterr().err


def wait_for(url: str, timeout: float = 30.0) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_starts_embedded_redis_and_keeps_data_across_restarts(tmp_path, model_dir):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "MODERATION_PORT": str(port),
        "MODERATION_DATA_DIR": str(tmp_path / "var"),
        "MODERATION_MODEL": str(model_dir),
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "moderation_service", "serve"]

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)
        ready = wait_for(f"http://127.0.0.1:{port}/readyz")
        assert ready["status"] == "ok"
        return process

    process = start()
    keys = json.loads((tmp_path / "var" / "api-keys.json").read_text())["keys"]
    blog_key = next(k["key"] for k in keys if k["role"] == "blog")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/comments",
        data=json.dumps({"site_id": "default", "comment_id": "1", "content": INSULT}).encode(),
        headers={"Authorization": f"Bearer {blog_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        submitted = json.loads(response.read())
    process.send_signal(signal.SIGTERM)
    stderr = process.communicate(timeout=30)[1].decode()
    assert process.returncode == 0, stderr
    assert blog_key not in stderr
    assert (tmp_path / "var" / "redis" / "appendonly.aof").exists()

    process = start()  # a new service process and a new embedded Redis on the same data
    read = urllib.request.Request(f"http://127.0.0.1:{port}/v1/comments/{submitted['id']}",
                                  headers={"Authorization": f"Bearer {blog_key}"})
    with urllib.request.urlopen(read) as response:
        assert json.loads(response.read())["decision"] == submitted["decision"]
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)



def test_a_second_service_on_the_same_data_dir_is_refused_before_it_trains(tmp_path, model_dir):  # type: ignore[no-untyped-def]
    """A second ``scripts/serve`` beside a running one (another port, the same ``var/``) used the first one's
    embedded Redis, which went away when the first stopped: the second then served without Redis. During the
    first one's training (the port not yet taken) it trained a second default model at once."""
    first_port = free_port()
    env = {**os.environ, "MODERATION_DATA_DIR": str(tmp_path / "var")}
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "moderation_service", "serve"]
    first = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE,
                             env={**env, "MODERATION_PORT": str(first_port), "MODERATION_MODEL": str(model_dir)})
    try:
        assert wait_for(f"http://127.0.0.1:{first_port}/readyz")["status"] == "ok"
        second = subprocess.run(command, env={**env, "MODERATION_PORT": str(free_port()),
                                              "MODERATION_MODELS_DIR": str(tmp_path / "no-models"),
                                              "MODERATION_TRAINING_DATA": str(ROOT / "tests" / "fixtures" / "data")},
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert second.returncode == 2, second.stderr
    assert "another moderation-service" in second.stderr and "MODERATION_DATA_DIR" in second.stderr
    assert "training the default model" not in second.stderr and "Traceback" not in second.stderr
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists()  # the first one's Redis went with it


@pytest.mark.parametrize(("env", "message"), [
    ({"MODERATION_API_KEYS_FILE": "/no/such/keys.json"}, "MODERATION_API_KEYS_FILE: cannot read /no/such/keys.json"),
    ({"MODERATION_SITES_FILE": "/no/such/sites.toml"}, "MODERATION_SITES_FILE: cannot read /no/such/sites.toml"),
    ({"MODERATION_MODELS_DIR": "/proc/no-models"}, "MODERATION_MODELS_DIR: cannot create /proc/no-models"),
])
def test_a_mistake_is_refused_before_the_default_model_is_trained(tmp_path, redis_url, env, message):  # type: ignore[no-untyped-def]
    """Training the default model takes minutes and gigabytes: a key file, sites file or models folder that
    cannot be used must stop the first start before it, not after (or, for the models folder, with a
    traceback after it)."""
    environment = {**os.environ, "MODERATION_PORT": str(free_port()), "REDIS_URL": redis_url,
                   "MODERATION_DATA_DIR": str(tmp_path / "var"), "MODERATION_MODELS_DIR": str(tmp_path / "no-models"),
                   "MODERATION_TRAINING_DATA": str(ROOT / "tests" / "fixtures" / "data"), **env}
    environment.pop("MODERATION_MODEL", None)
    result = subprocess.run([sys.executable, "-m", "moderation_service", "serve"], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert "training the default model" not in result.stderr


def serve_with_workers(tmp_path: Path, model_dir: Path, redis_url: str,
                       **env: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    environment = {**os.environ, "MODERATION_PORT": str(port), "MODERATION_WORKERS": "2", "REDIS_URL": redis_url,
                   "MODERATION_DATA_DIR": str(tmp_path / "var"), "MODERATION_MODEL": str(model_dir), **env}
    process = subprocess.Popen([sys.executable, "-m", "moderation_service", "serve"], env=environment, cwd=ROOT,
                               stderr=subprocess.PIPE, text=True)
    return process, port


class Said:
    """What a process writes to its stderr pipe, read line by line in a thread as it comes: a test can wait for a
    line (and the pipe never fills)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stderr is not None
        self.reader = threading.Thread(target=self.lines.extend, args=(process.stderr,), daemon=True)
        self.reader.start()

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def all(self, timeout: float) -> str:
        """Everything, once the process has ended (and closed the pipe)."""
        self.process.wait(timeout)
        self.reader.join(timeout)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return "".join(self.lines)


def serving_workers(parent: int, port: int) -> set[int]:
    """The service's worker processes that listen on ``port`` (a worker listens once it has started)."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                listening.add(f"socket:[{fields[9]}]")
    workers = set()
    for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        try:
            sockets = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:  # it has just exited
            continue
        if sockets & listening:
            workers.add(int(pid))
    return workers


def test_workers_that_cannot_start_stop_the_service_with_an_error(tmp_path, model_dir, redis_url):  # type: ignore[no-untyped-def]
    """A mistake only the workers meet (here a model that fails verification) must not leave a service that
    exits 0 or serves nothing: it exits 1 and says why, so that systemd or Docker reports it."""
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    with (broken / "model.joblib").open("ab") as handle:
        handle.write(b"tampered")
    process, _ = serve_with_workers(tmp_path, broken, redis_url)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 1, stderr
    assert "configuration error" in stderr and "does not match the manifest" in stderr
    assert "before it could serve" in stderr and "Traceback" not in stderr


def test_a_worker_that_dies_is_replaced_and_the_service_keeps_answering(tmp_path, model_dir, redis_url):  # type: ignore[no-untyped-def]
    process, port = serve_with_workers(tmp_path, model_dir, redis_url)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/readyz")["status"] == "ok"
        deadline = time.monotonic() + 60
        while len(workers := serving_workers(process.pid, port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        while ((len(replaced := serving_workers(process.pid, port)) < 2 or victim in replaced)
               and time.monotonic() < deadline):
            time.sleep(0.1)
        for _ in range(20):  # both workers answer (the port is shared)
            assert wait_for(f"http://127.0.0.1:{port}/readyz")["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=60)[1]
    assert victim not in replaced and len(replaced) == 2, stderr
    assert process.returncode == 0, stderr
    assert "stopped unexpectedly with exit code -9: starting a new one" in stderr


def test_score_decides_as_the_api_without_explaining(settings) -> None:  # type: ignore[no-untyped-def]
    """Batch scoring writes no reasons, so it skips the words behind them: the decision stays the same."""
    from moderation_service.comments import Comment
    from moderation_service.decisions import Evaluator
    from moderation_service.live_model import ModelHolder
    from moderation_service.sites import load_sites

    evaluator = Evaluator(ModelHolder.load(settings.model_dir), load_sites(settings.sites_file))
    for text in TEXTS:
        comment = Comment(site_id="kommblog", content=text)
        explained, plain = evaluator.evaluate(comment), evaluator.evaluate(comment, explain=False)
        assert (plain.decision, plain.scores) == (explained.decision, explained.scores)
        words = ("phrases", "spans")
        assert plain.reasons == [{k: v for k, v in r.items() if k not in words} for r in explained.reasons]
        assert not any("phrases" in reason for reason in plain.reasons)
    held = evaluator.evaluate(Comment(site_id="kommblog", content=INSULT))
    assert any("phrases" in reason for reason in held.reasons)  # the API's record does explain


def test_sighup_reaches_every_worker(tmp_path, model_dir, redis_url):  # type: ignore[no-untyped-def]
    """``kill -HUP`` on the service (what an operator or systemd's ExecReload sends) reloads the model in each
    worker: here new thresholds written into the served artifact's manifest. Each worker answers the signal in
    its log; its watcher of the manifest (every 2 s) may switch the model first, and then the signal finds the
    new thresholds serving (before, that race left the worker's signal unsaid and failed the test)."""
    served = tmp_path / "model"
    shutil.copytree(model_dir, served)
    process, port = serve_with_workers(tmp_path, served, redis_url)
    said = Said(process)
    try:
        deadline = time.monotonic() + 60
        while len(serving_workers(process.pid, port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        manifest = json.loads((served / "manifest.json").read_text(encoding="utf-8"))
        manifest["thresholds"]["toxicity"]["hold"] = 0.5
        (served / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        while (said.count("after SIGHUP") < 2 or said.count("model switched from") < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        stderr = said.all(timeout=60)
    assert process.returncode == 0, stderr
    assert stderr.count("after SIGHUP") == 2 and stderr.count("model switched from") == 2, stderr


def test_workers_stop_when_the_supervising_process_is_killed(tmp_path, model_dir, redis_url):  # type: ignore[no-untyped-def]
    """SIGKILL of the supervisor (nothing it can catch) must not leave orphaned workers serving on the port."""
    process, port = serve_with_workers(tmp_path, model_dir, redis_url)
    deadline = time.monotonic() + 60
    while len(workers := serving_workers(process.pid, port)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) == 2
    process.kill()
    process.communicate(timeout=30)
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if Path(f"/proc/{pid}/status").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    for pid in alive:  # not to leave them behind if the assertion fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_refused_before_anything_starts(tmp_path, model_dir, redis_url, workers):  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {**os.environ, "MODERATION_PORT": str(port), "MODERATION_WORKERS": workers,
                       "REDIS_URL": redis_url, "MODERATION_DATA_DIR": str(tmp_path / "var"),
                       "MODERATION_MODELS_DIR": str(tmp_path / "no-models-yet")}
        environment.pop("MODERATION_MODEL", None)
        result = subprocess.run([sys.executable, "-m", "moderation_service", "serve"], env=environment, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "MODERATION_PORT" in result.stderr
    assert "training the default model" not in result.stderr  # refused before a model would be trained


@pytest.mark.parametrize(("env", "args", "message"), [
    ({"MODERATION_HOST": "999.1.1.1"}, [], "choose an address of this machine with MODERATION_HOST or --host"),
    ({"MODERATION_DATA_DIR": "/proc/no-such-folder"}, [], "MODERATION_DATA_DIR: cannot create /proc/no-such-folder"),
    ({"MODERATION_TRAINING_DATA": "/no/such/data"}, [], "MODERATION_TRAINING_DATA: /no/such/data: no such file"),
    ({}, ["--port", "0"], "MODERATION_PORT: must be a TCP port 1-65535, got 0"),
    ({}, ["--workers", "0"], "MODERATION_WORKERS: must be 1-64, got 0"),
])
def test_a_bad_setting_is_a_message_not_a_traceback(tmp_path, redis_url, env, args, message):  # type: ignore[no-untyped-def]
    environment = {**os.environ, "MODERATION_PORT": str(free_port()), "REDIS_URL": redis_url,
                   "MODERATION_DATA_DIR": str(tmp_path / "var"), "MODERATION_MODELS_DIR": str(tmp_path / "no-models"),
                   **env}
    environment.pop("MODERATION_MODEL", None)
    result = subprocess.run([sys.executable, "-m", "moderation_service", "serve", *args], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_bad_line_in_the_first_starts_training_data_is_named(tmp_path, redis_url):  # type: ignore[no-untyped-def]
    data = tmp_path / "labels.jsonl"
    data.write_text('{"content": "Danke!", "labels": {"spam": 0}}\nnot json\n', encoding="utf-8")
    environment = {**os.environ, "MODERATION_PORT": str(free_port()), "REDIS_URL": redis_url,
                   "MODERATION_DATA_DIR": str(tmp_path / "var"), "MODERATION_MODELS_DIR": str(tmp_path / "no-models"),
                   "MODERATION_TRAINING_DATA": str(data)}
    environment.pop("MODERATION_MODEL", None)
    result = subprocess.run([sys.executable, "-m", "moderation_service", "serve"], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"MODERATION_TRAINING_DATA: {data}:2: " in result.stderr and "Traceback" not in result.stderr


def test_wordpress_plugin_is_written_with_the_services_address(tmp_path, capsys):  # type: ignore[no-untyped-def]
    target = tmp_path / "moderation-service.php"
    assert main(["wordpress-plugin", "--url", "https://moderation.example/api/", "-o", str(target)]) == 0
    source = target.read_text(encoding="utf-8")
    assert source.startswith("<?php\n") and "Plugin Name: Moderation service for Akismet" in source
    assert "define( 'MODERATION_SERVICE_URL', 'https://moderation.example/api' );" in source
    assert "{{" not in source and "add_filter( 'pre_http_request'" in source
    assert main(["wordpress-plugin", "--url", "http://127.0.0.1:8080"]) == 0
    assert "'http://127.0.0.1:8080'" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["moderation.example", "ftp://moderation.example", "https://x.example/?a=1",
                                 "https://x.example/'); evil('", "http://a\n/", "https://rest.akismet.com",
                                 "http://0123456789ab.rest.akismet.com:80/x", "https://AKISMET.COM",
                                 "https://rest.akismet.com./"])
def test_wordpress_plugin_refuses_what_is_not_an_address(url, tmp_path, capsys):  # type: ignore[no-untyped-def]
    target = tmp_path / "moderation-service.php"
    assert main(["wordpress-plugin", "--url", url, "-o", str(target)]) == 2
    assert "give this service's address as WordPress reaches it" in capsys.readouterr().err
    assert not target.exists()


def test_score_echoes_any_json_value_as_id_null_too(tmp_path, model_dir, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    # The README: "id (required: any JSON value, yours, echoed back)".
    lines = ['{"id": null, "content": "hallo"}', '{"id": {"row": [1, 2]}, "content": "hallo"}']
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["score", "--model", str(model_dir)])
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0, results
    assert [(result["id"], result["decision"]) for result in results] == [
        (None, "publish"), ({"row": [1, 2]}, "publish")]


@pytest.mark.parametrize(("args", "message"), [
    (["/no/such/comments.jsonl"], "cannot read /no/such/comments.jsonl (No such file or directory)"),
    (["-o", "/no/such/folder/out.jsonl"], "cannot write /no/such/folder/out.jsonl (No such file or directory)"),
])
def test_score_says_which_file_it_cannot_open(tmp_path, model_dir, capsys, args, message):  # type: ignore[no-untyped-def]
    """A mistyped file name is a message, as for wordpress-plugin's output, not a traceback."""
    code = main(["score", "--model", str(model_dir), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_an_embedded_redis_left_by_a_killed_service_goes_with_the_next_one(tmp_path, model_dir):  # type: ignore[no-untyped-def]
    """After a SIGKILL of the service its Redis lives on, and the next start uses it: that start's clean stop
    must end it too, or it runs on for good."""
    from moderation_service.embedded_redis import _answers

    port = free_port()
    env = {**os.environ, "MODERATION_PORT": str(port), "MODERATION_DATA_DIR": str(tmp_path / "var"),
           "MODERATION_MODEL": str(model_dir)}
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "moderation_service", "serve"]
    socket_path = tmp_path / "var" / "redis" / "redis.sock"
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/readyz")["status"] == "ok"
        process.kill()
        process.wait(timeout=30)  # not communicate(): the Redis left behind holds its stderr open
        process.stderr.close()  # type: ignore[union-attr]
        assert _answers(socket_path)  # left behind
        process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)
        assert wait_for(f"http://127.0.0.1:{port}/readyz")["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=30)[1].decode()
        assert process.returncode == 0, stderr
        assert "still answers" in stderr
        assert not _answers(socket_path)
    finally:
        if process.poll() is None:
            process.kill()
        if _answers(socket_path):  # not to leave it running when the test fails
            subprocess.run([sys.executable, "-c", "import redis, sys; redis.Redis(unix_socket_path=sys.argv[1])"
                            ".shutdown(nosave=False)", str(socket_path)], check=False)


def test_a_data_dir_too_long_for_the_redis_socket_is_refused_before_training(tmp_path):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / ("x" * 100)
    environment = {**os.environ, "MODERATION_PORT": str(free_port()), "MODERATION_DATA_DIR": str(data_dir),
                   "MODERATION_MODELS_DIR": str(tmp_path / "no-models"),
                   "MODERATION_TRAINING_DATA": str(ROOT / "tests" / "fixtures" / "data")}
    environment.pop("REDIS_URL", None)
    environment.pop("MODERATION_MODEL", None)
    result = subprocess.run([sys.executable, "-m", "moderation_service", "serve"], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "is too long for a Unix socket; use a shorter MODERATION_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr and "training the default model" not in result.stderr


@pytest.mark.parametrize("same", ["path", "link"])
def test_score_refuses_to_write_over_its_own_input(tmp_path, model_dir, capsys, same):  # type: ignore[no-untyped-def]
    """'score comments.jsonl -o comments.jsonl' emptied the file before reading it: the comments were lost, and
    the run wrote nothing and exited 0."""
    source = tmp_path / "comments.jsonl"
    source.write_text('{"id": 1, "content": "hallo"}\n', encoding="utf-8")
    output = source if same == "path" else tmp_path / "link.jsonl"
    if same == "link":
        output.symlink_to(source)
    code = main(["score", str(source), "-o", str(output), "--model", str(model_dir)])
    assert code == 2
    assert f"cannot write {output}: it is the input file; name another file" in capsys.readouterr().err
    assert source.read_text(encoding="utf-8") == '{"id": 1, "content": "hallo"}\n'


def test_score_refuses_to_write_over_the_file_stdin_reads(tmp_path, model_dir, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    """'score -o comments.jsonl < comments.jsonl' emptied the file as the named input did: the output was
    compared with the input only when the input was named, not when stdin read the file."""
    source = tmp_path / "comments.jsonl"
    source.write_text('{"id": 1, "content": "hallo"}\n', encoding="utf-8")
    with source.open(encoding="utf-8") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        code = main(["score", "-o", str(source), "--model", str(model_dir)])
    assert code == 2
    assert f"cannot write {source}: it is the input file; name another file" in capsys.readouterr().err
    assert source.read_text(encoding="utf-8") == '{"id": 1, "content": "hallo"}\n'


def test_score_reads_stdin_as_utf8_whatever_the_locale(tmp_path, model_dir, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    """stdin is read as UTF-8 even where the locale says ASCII (LANG=C in a cron job), a line that is not UTF-8
    refused alone, and stdin is left open for the process (its bytes let go of, not closed)."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1, "content": "Gr\xc3\xbc\xc3\x9fe"}\n{"id": 2, "content": "Gr\xfc\xdfe"}\n')
    with source.open(encoding="ascii") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        code = main(["score", "--model", str(model_dir)])
        assert not stdin.closed and not stdin.buffer.closed
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert results[0]["decision"] == "publish"
    assert results[1] == {"id": None, "line": 2, "error": "not valid JSON (not UTF-8: byte 25 cannot be read)"}
