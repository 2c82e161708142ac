"""Comment and SMS spam: the UCI YouTube collection, the 2014 YouTube sets, SMS, and SMS in German (MT)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .base import LabelledExample, read_csv, read_rows, register

#: The collection's file of each video (Youtube01-Psy.csv … Youtube05-Shakira.csv): a folder with any of them
#: is read, so that training on some of the five videos is a folder with those files.
YOUTUBE_FILES = "Youtube[0-9][0-9]-*.csv"


@register("youtube-spam", (YOUTUBE_FILES,), "UCI YouTube Spam Collection (Alberto et al., ICMLA 2015), by video, en")
def load_youtube(folder: Path) -> Iterator[LabelledExample]:
    # Only CONTENT and CLASS are used: COMMENT_ID and DATE leak the class (see PROVENANCE.md).
    for path in sorted(folder.glob(YOUTUBE_FILES)):
        video = path.name.removesuffix(".csv").split("-", 1)[1]
        for row in read_csv(path):
            yield LabelledExample(row["CONTENT"], {"spam": int(row["CLASS"])}, "youtube-spam", "en", video)


@register("youtube-spam-2014", ("youtube_spam_2014.csv",), "TubeSpam authors' 2014 YouTube sets, 5 videos, en")
def load_youtube_2014(folder: Path) -> Iterator[LabelledExample]:
    for row in read_csv(folder / "youtube_spam_2014.csv"):
        yield LabelledExample(
            row["CONTENT"], {"spam": int(row["CLASS"])}, "youtube-spam-2014", "en", f"2014-{row['VIDEO']}"
        )


@register("sms-spam", ("SMSSpamCollection",), "UCI SMS Spam Collection v.1 (Almeida et al., DocEng 2011), en")
def load_sms(folder: Path) -> Iterator[LabelledExample]:
    for row in read_rows(folder / "SMSSpamCollection", delimiter="\t", quoting=csv.QUOTE_NONE):
        if len(row) == 2:
            yield LabelledExample(row[1], {"spam": int(row[0] == "spam")}, "sms-spam", "en")


@register("sms-spam-de-mt", ("data-en-hi-de-fr.csv.gz",), "SMS Spam Collection machine-translated to German")
def load_sms_de(folder: Path) -> Iterator[LabelledExample]:
    # Only the German column: the English one repeats sms-spam, Hindi and French are out of scope.
    for row in read_csv(folder / "data-en-hi-de-fr.csv.gz"):
        text = row["text_de"]
        if text and text != row["text"]:  # 21 rows were left untranslated
            yield LabelledExample(text, {"spam": int(row["labels"] == "spam")}, "sms-spam-de-mt", "de")
