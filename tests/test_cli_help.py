"""Every command line option says what it is in ``--help``: the README sends operators there for the details."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from moderation_service.cli import build_parser as service_parser
from tests.conftest import ROOT
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
