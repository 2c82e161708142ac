"""Every loader on tiny files in its dataset's real format, including the traps its PROVENANCE.md names."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from moderation_service.model.attributes import TOXICITY_FAMILY
from moderation_service.model.text import normalize
from training.datasets import REGISTRY, DatasetError, load_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "data"


def load(name: str) -> list:
    (dataset,) = load_path(FIXTURES / name)
    assert dataset.name == name
    return dataset.examples


def by_text(examples: list, start: str):  # type: ignore[no-untyped-def]
    (found,) = [e for e in examples if e.content.startswith(start)]
    return found


def test_every_registered_dataset_has_a_fixture() -> None:
    assert sorted(REGISTRY) == sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_folder_of_datasets_loads_each_once_with_checksums() -> None:
    datasets = load_path(FIXTURES)
    assert sorted(d.name for d in datasets) == sorted(REGISTRY)
    for dataset in datasets:
        assert dataset.examples
        assert all(len(digest) == 64 for digest in dataset.files.values())


def test_a_folder_of_datasets_says_what_it_skips(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "youtube-spam", tmp_path / "youtube-spam")
    (tmp_path / "german-hatespeech-wue").mkdir()  # its files not all there
    (tmp_path / "extra.csv").write_text("text,label\n", encoding="utf-8")
    (tmp_path / "more.ndjson").write_text('{"content": "Danke!", "labels": {"spam": 0}}\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("notes\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    heard: list[str] = []
    datasets = load_path(tmp_path, skipped=heard.append)
    assert sorted(d.name for d in datasets) == ["more.ndjson", "youtube-spam"]
    assert heard == [f"skipped {tmp_path / 'extra.csv'}: not a JSONL file",
                     f"skipped {tmp_path / 'german-hatespeech-wue'}: no dataset this training reads (by its files)"]

def test_a_value_a_dataset_does_not_have_names_the_folder_and_its_files(tmp_path: Path) -> None:
    folder = shutil.copytree(FIXTURES / "youtube-spam", tmp_path / "youtube-spam")
    first = sorted(folder.glob("*.csv"))[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",spam"  # CLASS is 0 or 1
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=rf"{folder}: not laid out as youtube-spam \(ValueError: .*'spam'\); "
                                           rf"compare its files with the original \({first.name}"):
        load_path(folder)

def test_a_dataset_file_cut_short_names_the_folder(tmp_path: Path) -> None:
    """A copy cut short (a download or a disk that ran out): a CSV ending inside a row stopped training with
    "TypeError: int() argument must be … not 'NoneType'", a gzip file with gzip's EOFError, both tracebacks."""
    folder = shutil.copytree(FIXTURES / "youtube-spam", tmp_path / "youtube-spam")
    first = sorted(folder.glob("*.csv"))[0]
    text = first.read_text(encoding="utf-8")
    first.write_text(text[: text.index("\n") + 1] + text[text.index("\n") + 1:].split(",")[0] + "\n",
                     encoding="utf-8")
    with pytest.raises(DatasetError, match=rf"{folder}: not laid out as youtube-spam \(TypeError: "):
        load_path(folder)
    jigsaw = shutil.copytree(FIXTURES / "jigsaw-toxic", tmp_path / "jigsaw-toxic")
    packed = next(jigsaw.glob("*.gz"))
    packed.write_bytes(packed.read_bytes()[:-20])
    with pytest.raises(DatasetError, match=rf"{jigsaw}: cannot read {packed.name} \(Compressed file ended before "
                                           r"the end-of-stream marker was reached\); copy it again"):
        load_path(jigsaw)


def test_davidson_classes_entities_and_newlines() -> None:
    examples = load("davidson-offensive")
    assert len(examples) == 3
    neither, hate, offensive = examples
    assert neither.labels == {"spam": 0, **{a: 0 for a in TOXICITY_FAMILY}}
    assert hate.labels == {"spam": 0, "toxicity": 1, "identity_attack": 1}
    assert offensive.labels == {"spam": 0, "toxicity": 1, "identity_attack": 0}
    assert offensive.content == "that was a stupid\nmove lol &#128514;"  # read as CSV, not line by line
    assert normalize(offensive.content) == "that was a stupid move lol \U0001f602"
    assert normalize(neither.content) == "!!! RT @USER: cleaning up & taking the trash out"
    assert {e.lang for e in examples} == {"en"}


def test_wue_headers_differ_per_file_and_empty_labels_are_dropped() -> None:
    examples = load("german-hatespeech-wue")
    assert [e.subset for e in examples] == ["bretschneider"] * 3 + ["germanrefugees"] * 2 + ["hasoc"] + [
        "polly_withhate_dez16-20"
    ] * 2
    texts = [e.content for e in examples]
    assert not any("Kardinal" in t or "ohne Label" in t for t in texts)  # empty label = unlabelled
    assert not any(t in ("text", "tweet") for t in texts)  # header lines are not examples
    assert by_text(examples, "gleich an").labels == {"spam": 0, "toxicity": 1, "severe_toxicity": 1}
    assert by_text(examples, "du bist").labels == {"spam": 0, "toxicity": 1, "severe_toxicity": 0}
    assert by_text(examples, "nicht dass").content.endswith('das clichee "blau-Wähler" stärkt das nur.')
    assert by_text(examples, "Zeile eins").content == "Zeile eins\nZeile zwei"
    assert by_text(examples, '"Importierter').content == '"Importierter Antisemitismus" http://'


def test_germeval_2018_quote_none_and_line_breaks() -> None:
    examples = load("germeval2018")
    assert len(examples) == 4  # the unbalanced quote in line 2 does not swallow lines 3 and 4
    insult, abuse, other, profanity = examples
    assert "|LBR|" not in insult.content and "\n" in insult.content
    assert abuse.content == 'Deutsche Medien und "billige Propagandainstitutionen 😜'
    assert insult.labels == {"spam": 0, "toxicity": 1, "insult": 1, "identity_attack": 0}
    assert abuse.labels == {"spam": 0, "toxicity": 1, "insult": 1, "identity_attack": 1}
    assert other.labels == {"spam": 0, **{a: 0 for a in TOXICITY_FAMILY}}
    assert profanity.labels == {"spam": 0, "toxicity": 1, "profanity": 1, "insult": 0, "identity_attack": 0}
    assert {e.lang for e in examples} == {"de"}


def test_germeval_2019_r_escaped_emoji_become_characters() -> None:
    first, second = load("germeval2019")
    assert first.content == "Russen das habt ihr toll gemacht\U0001f44d"
    assert second.content == "Ausländerbehörde greift durch!\U0001f923#unfassbar \n endlich"


def test_germeval_2021_crlf_and_quoted_commas() -> None:
    clean, toxic = load("germeval2021-toxic")
    assert clean.content == "Ziemlich traurig, diese Kommentare zu lesen."
    assert not toxic.content.endswith("\r")
    assert clean.labels["toxicity"] == 0 and clean.labels["insult"] == 0
    assert toxic.labels == {"spam": 0, "toxicity": 1}


def test_jigsaw_gzip_newlines_and_unknown_minor_labels() -> None:
    clean, toxic_only, all_six = load("jigsaw-toxic")
    assert clean.content.startswith("Explanation\nWhy")
    assert toxic_only.labels == {"spam": 0, "toxicity": 1}  # NaN minor labels stay unknown, not 0
    assert all_six.labels == {
        "spam": 0, "toxicity": 1, "severe_toxicity": 1, "profanity": 1, "threat": 0, "insult": 1,
        "identity_attack": 0,
    }
    assert [e.subset for e in (clean, toxic_only, all_six)] == ["block20k", "block20k", "enriched"]


def test_olid_null_labels_and_raw_quotes() -> None:
    untargeted, targeted, not_offensive, group = load("olid")
    assert untargeted.labels == {"spam": 0, "toxicity": 1, "profanity": 1, "insult": 0, "identity_attack": 0,
                                 "threat": 0}
    assert targeted.labels == {"spam": 0, "toxicity": 1, "insult": 1, "identity_attack": 0}
    assert not_offensive.labels == {"spam": 0, **{a: 0 for a in TOXICITY_FAMILY}}  # NULL is a string
    assert group.labels["identity_attack"] == 1
    assert group.content == '"@USER Someone should\'veTaken"" this thing to a volcano. 😂"""'  # QUOTE_NONE


def test_sms_quote_none() -> None:
    examples = load("sms-spam")
    assert [e.labels for e in examples] == [{"spam": 0}, {"spam": 1}, {"spam": 0}]
    assert examples[0].content == "I thought you liked \"the cave. I'm sorry."


def test_sms_german_skips_untranslated_rows() -> None:
    examples = load("sms-spam-de-mt")
    assert [e.content[:7] for e in examples] == ["WINNER!", "Bis spä"]
    assert [e.labels for e in examples] == [{"spam": 1}, {"spam": 0}]
    assert {e.lang for e in examples} == {"de"}


def test_youtube_videos_bom_and_html() -> None:
    examples = load("youtube-spam")
    assert [e.subset for e in examples] == ["Psy", "Psy", "KatyPerry", "KatyPerry", "LMFAO", "LMFAO",
                                            "Shakira", "Shakira"]
    assert [e.labels["spam"] for e in examples] == [0, 1] * 4
    assert examples[0].content == "Nice song\ufeff"  # the loader keeps the text; normalize strips U+FEFF
    assert normalize(examples[0].content) == "Nice song"
    assert normalize(examples[5].content) == "Visit URL spam.example my site & win"
    assert normalize(examples[4].content) == "party rock 's the best"


def test_youtube_2014_subsets_are_prefixed() -> None:
    ham, spam = load("youtube-spam-2014")
    assert (ham.subset, spam.subset) == ("2014-Avengers", "2014-Psy")
    assert (ham.labels, spam.labels) == ({"spam": 0}, {"spam": 1})
    assert ham.source == "youtube-spam-2014"


def test_gzip_and_plain_files_read_alike(tmp_path: Path) -> None:
    folder = tmp_path / "jigsaw-toxic"
    folder.mkdir()
    with gzip.open(FIXTURES / "jigsaw-toxic" / "jigsaw_train_subset.csv.gz", "rb") as src:
        data = src.read()
    with gzip.open(folder / "jigsaw_train_subset.csv.gz", "wb") as dst:
        dst.write(data.replace(b"\n", b"\r\n"))  # CRLF copies read the same
    assert [e.content.replace("\r", "") for e in load_path(folder)[0].examples] == [
        e.content for e in load("jigsaw-toxic")
    ]


def test_unknown_paths_are_refused_with_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file or folder"):
        load_path(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DatasetError, match="must be JSONL.*give the folder that holds them"):
        load_path(tmp_path / "notes.txt")
    with pytest.raises(DatasetError, match="found no dataset"):
        load_path(tmp_path)


def test_incomplete_dataset_folder_is_not_recognised(tmp_path: Path) -> None:
    partial = tmp_path / "german-hatespeech-wue"
    shutil.copytree(FIXTURES / "german-hatespeech-wue", partial)
    (partial / "hasoc.csv").unlink()
    with pytest.raises(DatasetError, match="found no dataset"):
        load_path(partial)


def test_youtube_folder_holds_any_of_the_collections_videos(tmp_path: Path) -> None:
    """Training on some of the five videos is a folder with those files, whichever they are (here a video
    that the shared data does not have, and without one that it has)."""
    folder = tmp_path / "four-videos"
    shutil.copytree(FIXTURES / "youtube-spam", folder)
    (folder / "Youtube03-LMFAO.csv").unlink()
    (folder / "Youtube04-Another.csv").write_text(
        "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\nz1,a,2014-01-01,sub to my channel pls,1\nz2,b,2014-01-02,love it,0\n",
        encoding="utf-8")
    (folder / "notes.csv").write_text("not a video\n", encoding="utf-8")
    [dataset] = load_path(folder)
    assert dataset.name == "youtube-spam"
    assert [e.subset for e in dataset.examples] == ["Psy", "Psy", "KatyPerry", "KatyPerry", "Another", "Another",
                                                    "Shakira", "Shakira"]
    assert dataset.examples[4].content == "sub to my channel pls" and dataset.examples[4].labels == {"spam": 1}
    assert sorted(dataset.files) == ["Youtube01-Psy.csv", "Youtube02-KatyPerry.csv", "Youtube04-Another.csv",
                                     "Youtube05-Shakira.csv"]


def test_a_file_not_in_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    """A dataset file saved as Latin-1 was a bare "'utf-8' codec can't decode byte 0xfc", no file named."""
    folder = tmp_path / "germeval2018"
    shutil.copytree(FIXTURES / "germeval2018", folder)
    path = folder / "germeval2018.training.txt"
    path.write_bytes(path.read_bytes() + "Grüße aus Köln\tOTHER\tOTHER\n".encode("latin-1"))
    with pytest.raises(DatasetError) as error:
        load_path(tmp_path)
    assert str(error.value).startswith(f"{path}:5: not UTF-8 text")
