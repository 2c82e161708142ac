"""Every command line option says what it is in ``--help``, every option the READMEs show exists, and their
code blocks' command lines parse: the README sends operators to ``--help`` for details, and they copy its lines."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from moderation_service.cli import build_parser as service_parser
from tests.conftest import ROOT, readme_texts
from training.cli import build_parser as train_parser


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and each of its subcommands' parsers, all the way down."""
    yield parser
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # an alias maps to the same parser again
                yield from _commands(sub)


def _options() -> list[tuple[str, argparse.Action]]:
    found = []
    for parser in (service_parser(), train_parser()):
        for command in _commands(parser):
            for action in command._actions:
                if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                    found.append((f"{command.prog} {'/'.join(action.option_strings) or action.dest}", action))
    return found


@pytest.mark.parametrize("name, action", _options(), ids=[name for name, _ in _options()])
def test_every_option_has_help(name: str, action: argparse.Action) -> None:
    assert action.help and action.help.strip(), f"{name} has no help text"


def test_the_data_option_names_the_folder_a_clone_has() -> None:
    """``shared/data`` is where the project's authors keep the full collection, not a folder a user has."""
    helps = {action.help for name, action in _options() if name.endswith(" --data")}
    assert len(helps) == 1
    (text,) = helps
    assert "shared/data" not in text and "data/" in text and (ROOT / "data").is_dir()



# The README's command lines --------------------------------------------------------------------------------

PROGRAMS = {"moderation-service": service_parser, "moderation-train": train_parser}
TEXTS = readme_texts()
OURS = r"(?:moderation-train|moderation-service) "


def _block_lines() -> list[str]:
    """Our command lines in the READMEs' code blocks (their comments cut): what operators copy."""
    return sorted({line.split("  #")[0].strip() for text in TEXTS
                   for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
                   for line in block.splitlines() if re.match(OURS, line)})


def _mentions() -> list[str]:
    """Those lines and our commands in code spans (a span may break across lines)."""
    spans = {" ".join(span.split()) for text in TEXTS for span in re.findall(rf"`({OURS}[^`]*)`", text)}
    return sorted(spans | set(_block_lines()))


def _command(words: list[str]) -> tuple[argparse.ArgumentParser, list[str]]:
    """The (sub)command's parser the words name, and the words after its name."""
    parser, rest = PROGRAMS[words[0]](), words[1:]
    while rest:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or rest[0] not in sub.choices:
            break
        parser, rest = sub.choices[rest[0]], rest[1:]
    return parser, rest


@pytest.mark.parametrize("line", _mentions())
def test_every_option_the_readmes_show_exists(line: str) -> None:
    parser, rest = _command(line.split())
    known = {option for action in parser._actions for option in action.option_strings}
    shown = {word.strip("[]…") for word in rest if word.lstrip("[").startswith("-")}
    assert shown <= known, f"{parser.prog} has no {', '.join(sorted(shown - known))}"


@pytest.mark.parametrize("line", _block_lines())
def test_the_readmes_command_lines_parse(line: str) -> None:
    """With its placeholders filled in (``<version>``, ``$REDIS_URL``, an optional ``[--write]``), a line parses."""
    filled = re.sub(r"<[^>]+>", "x", line).replace("$REDIS_URL", "redis://127.0.0.1:6379/0")
    words = filled.replace("[--write]", "--write").split()
    try:
        PROGRAMS[words[0]]().parse_args(words[1:])
    except SystemExit:
        pytest.fail(f"does not parse: {line}")
