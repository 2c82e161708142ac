"""Does the service read a comment alike as WordPress's Akismet plugin first checks it and as WordPress stores
it (what its *Check for Spam*, and the search for a comment to set its status, see)?

Needs PHP and a WordPress installation that runs (its database reachable):

    WORDPRESS_DIR=/path/to/wordpress .venv/bin/python scripts/wordpress-reading-check/check.py [--count 3000] [--seed 1]

Random comments are put together from awkward pieces (references, links, protocols, quotes, broken tags,
percent-encoded octets), sent through WordPress's own filters by ``store.php`` (as for a visitor, from the
comment form), and read both ways with :mod:`moderation_service.reading`. It prints the first differences and
how many comments read differently; the README's figures come from it. Not part of the test suite: CI has no
PHP and no WordPress.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from moderation_service.reading import as_read, name_as_read  # noqa: E402

PIECES = ["&", "&amp;", "&amp;#65;", "&#65;", "&#065;", "&#x41;", "&#0;", "&#00;", "&#128;", "&#150;", "&copy;",
          "&check;", "&colon;", "&lt;", "&lt3;", "<", ">", "<3", "'", '"', "\\", "\\'", "%20", "%E2%9C%93", "%zz", " ",
          "\t", "\n", "<b>", "</b>", "<img src=x>", '<a href="', '">', "</a>", "javascript:", "JAVASCRIPT:",
          "HTTPS://", "http://", "feed:", "feed:feed:", "java&#115;cript:", "&#58;", "&#x3a;", "&#58", "mailto:",
          "/?", "?", "/", ":", "x", "ä", "€", "<a href=", "<a title=\"x\" href='", "'>", "<a HREF=", " rel=x", "<p>",
          "</p>", "<br>", "<!-- c -->", "&nbsp;", "&#9;", "&#13;", "&#xD800;", "&#1;", "Text", "Wort",
          "https://example.org/?a=1&b=2", "data:text/html,x"]
STORE = Path(__file__).with_name("store.php")


def comments(count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)

    def pieces(low: int, high: int) -> str:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(low, high)))

    return [[pieces(1, 6), "Kommentar " + pieces(1, 14)] for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=10, help="differences to print")
    args = parser.parse_args()
    if not os.environ.get("WORDPRESS_DIR"):
        parser.error("set WORDPRESS_DIR to a WordPress installation (the folder with wp-load.php)")
    sent = comments(args.count, args.seed)
    stored = json.loads(subprocess.run(["php", str(STORE)], input=json.dumps(sent), capture_output=True, text=True,
                                       check=True).stdout)
    texts = names = 0
    for name_checked, text_checked, name_stored, text_stored in stored:
        if as_read(text_checked) != as_read(text_stored):
            texts += 1
            if texts <= args.show:
                print(f"text {text_checked!r} stored as {text_stored!r}")
        if name_as_read(name_checked) != name_as_read(name_stored):
            names += 1
            if names <= args.show:
                print(f"name {name_checked!r} stored as {name_stored!r}")
    print(f"{len(stored)} comments: the text reads differently for {texts}, the name for {names}")


if __name__ == "__main__":
    main()
