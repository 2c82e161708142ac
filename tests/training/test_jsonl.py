"""Labelled comments in JSONL: what loads, and errors that name the file and the line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from training.datasets import JsonlError, load_path
from training.datasets.jsonl import load_jsonl


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_lines_become_examples(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "labels.jsonl",
        json.dumps({"content": "Tolle Analyse!", "labels": {"spam": 0, "toxicity": 0}, "lang": "de",
                    "source": "moderator", "site_id": "kommblog", "author_name": "ignored"}),
        "",
        json.dumps({"content": "Buy now", "labels": {"spam": "1"}, "weight": 2.5}),
        json.dumps({"content": "Danke", "labels": {"spam": 0.0, "toxicity": 1.0}}),
    )
    first, second, third = load_jsonl(path)
    assert first.content == "Tolle Analyse!"
    assert first.labels["toxicity"] == 0 and first.labels["insult"] == 0  # not toxic implies none of the family
    assert (first.source, first.lang, first.subset, first.weight) == ("moderator", "de", "kommblog", 1.0)
    assert second.labels == {"spam": 1}
    assert (second.source, second.lang, second.subset, second.weight) == ("jsonl", None, "", 2.5)
    assert third.labels == {"spam": 0, "toxicity": 1}


def test_gzip_jsonl_is_a_dataset_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"content": "hallo", "labels": {"spam": 0}}) + "\n")
    (dataset,) = load_path(path)
    assert dataset.name == "decisions.jsonl.gz"
    assert [e.content for e in dataset.examples] == ["hallo"]
    assert list(dataset.files) == ["decisions.jsonl.gz"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"content": "x", "labels": {"spam": 0}', "not valid JSON"),
        ('{"labels": {"spam": 0}}', "content"),
        ('{"content": "x", "labels": {}}', "Give at least one label"),
        ('{"content": "x", "labels": {"spamm": 1}}', "Unknown label(s) ['spamm']"),
        ('{"content": "x", "labels": {"spam": 2}}', "must be 0 or 1"),
        # int() made a probability 0.9 a 0 and 1.5 a 1: a label turned round, silently
        ('{"content": "x", "labels": {"toxicity": 0.9}}', "must be 0 or 1"),
        ('{"content": "x", "labels": {"spam": 1.5}}', "must be 0 or 1"),
        ('{"content": "x", "labels": {"spam": 1}, "weight": 0}', "weight"),
        ('{"content": "x", "labels": {"spam": 1}, "weight": NaN}', "not valid JSON"),
        ('["content", "labels"]', "JSON but an array, not an object"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),  # a RecursionError with a traceback before
        ('{"content": "x", "labels": {"spam": ' + "1" * 5000 + "}}", "not valid JSON"),  # a bare ValueError before
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = write_lines(tmp_path / "labels.jsonl", json.dumps({"content": "ok", "labels": {"spam": 0}}), "", line)
    with pytest.raises(JsonlError) as error:
        list(load_jsonl(path))
    message = str(error.value)
    assert message.startswith(f"{path}:3: ")
    assert reason in message


def test_a_line_not_in_utf8_is_named(tmp_path: Path) -> None:
    """Latin-1 text was a bare "'utf-8' codec can't decode byte 0xfc" naming neither the file nor the line."""
    path = tmp_path / "labels.jsonl"
    path.write_bytes(b'{"content": "ok", "labels": {"spam": 0}}\r\n'
                     + '{"content": "Grüße", "labels": {"spam": 0}}\n'.encode("latin-1"))
    with pytest.raises(JsonlError) as error:
        list(load_jsonl(path))
    assert str(error.value).startswith(f"{path}:2: not valid JSON (not UTF-8")
