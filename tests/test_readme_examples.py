"""The README says what is true: its sites-file examples load as they are written (a copied example must not
stop the service); its configuration table names every variable the code reads, with its real default; its
API section's table names every endpoint the app serves; and every endpoint it mentions anywhere is served."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import fields
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from moderation_service.app import create_app
from moderation_service.exceptions import ConfigurationError
from moderation_service.metrics import MULTIPROCESS_ENV
from moderation_service.settings import Settings
from moderation_service.sites import load_sites
from tests.conftest import ROOT, readme_texts
from training.registry import DEFAULT_KEEP, KEEP_VARIABLE

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```toml\n(.*?)```", README, re.DOTALL)


def test_the_readme_has_sites_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{n}" for n in range(len(BLOCKS))])
def test_a_sites_example_loads(block: str, tmp_path: Path) -> None:
    text = block.replace('"…"', '"a-secret-of-sixteen-or-more"')  # the README leaves secrets out
    if not text.lstrip().startswith(("[sites", "[defaults")):
        text = f'[sites.kommblog]\nname = "Kommunikationsblog"\n{text}'
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    sites = load_sites(path)
    assert "kommblog" in sites.sites


# The configuration table ---------------------------------------------------------------------------------

#: Read outside :class:`Settings`, with their defaults: ``moderation-train models prune``'s count, the tests'
#: Redis (tests/conftest.py, tests/run.py) and the workers' counter folder (moderation_service/metrics.py).
OTHER_VARIABLES = {KEEP_VARIABLE: str(DEFAULT_KEEP), "TEST_REDIS_URL": "unset", MULTIPROCESS_ENV: "unset"}
#: A value each kind of variable accepts: the first one that validates tells which field a variable sets.
SAMPLE_VALUES = ("2000", "7", "10.0.0.1", "debug", "asyncio", "always", "redis://127.0.0.1:6379/0", "a" * 20)


class _Recording(dict):  # type: ignore[type-arg]
    """An environment that notes every variable asked for."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.asked: list[str] = []

    def get(self, key: str, default: object = None) -> object:
        self.asked.append(key)
        return super().get(key, default)


def _variables_read() -> list[str]:
    environment = _Recording()
    Settings.from_env(environment)
    return environment.asked


def _field_of(variable: str) -> str:
    default = Settings()
    for value in SAMPLE_VALUES:
        try:
            settings = Settings.from_env({variable: value})
        except ConfigurationError:
            continue
        changed = [f.name for f in fields(Settings) if getattr(settings, f.name) != getattr(default, f.name)]
        if changed:
            # MODERATION_MAX_CONTENT_CHARS moves the body limit's default too: its own field is the one named so
            named = variable.removeprefix("MODERATION_").lower()
            (name,) = [named] if named in changed else changed
            return name
    raise AssertionError(f"no sample value sets {variable}")


def _written(value: object) -> str:
    """A default as the README writes it."""
    if value is None or value == ():
        return "unset"
    if isinstance(value, tuple):
        return os.pathsep.join(str(part) for part in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _documented() -> dict[str, str]:
    """The configuration table: each variable and its default as written (``A`` / ``B`` rows split)."""
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (`[A-Z_]+`(?: / `[A-Z_]+`)*) \| ([^|]+) \|", section, re.MULTILINE)
    table: dict[str, str] = {}
    for names, defaults in rows:
        variables = re.findall(r"`([A-Z_]+)`", names)
        values = [part.strip().strip("`") for part in defaults.split(" / ")]
        assert len(values) == len(variables), f"{names}: one default per variable"
        for variable, value in zip(variables, values):
            assert variable not in table, f"{variable} is documented twice"
            table[variable] = value
    return table


def test_the_configuration_table_names_every_variable_read_and_no_other() -> None:
    assert set(_documented()) == set(_variables_read()) | set(OTHER_VARIABLES)


@pytest.mark.parametrize("variable", _variables_read())
def test_the_configuration_table_gives_each_variables_real_default(variable: str) -> None:
    documented = _documented()[variable]
    real = _written(getattr(Settings(), _field_of(variable)))
    if variable == "MODERATION_API_KEYS_FILE":  # unset: a file in the data dir
        real = f"<data dir>/{Settings().default_api_keys_file.name}"
    assert documented == real


@pytest.mark.parametrize("variable", OTHER_VARIABLES)
def test_the_configuration_table_gives_the_other_variables_defaults(variable: str) -> None:
    assert _documented()[variable] == OTHER_VARIABLES[variable]


# The API's table of every endpoint ------------------------------------------------------------------------


@functools.cache
def _app() -> web.Application:
    return create_app(Settings())  # no I/O until it starts


def _served() -> set[str]:
    """Every route the app serves, as ``METHOD /path`` (aiohttp adds a ``HEAD`` to each ``GET`` by itself)."""
    app = _app()
    return {f"{route.method} {route.resource.canonical}" for route in app.router.routes()
            if route.method != "HEAD" and route.resource is not None}


def _tabled() -> list[str]:
    """The endpoints the API section's table names, in its first column (several to a row, comma-separated)."""
    section = README.split("\n## API\n", 1)[1].split("\n### ", 1)[0]
    table = section.split("**Every endpoint**", 1)[1]
    rows = re.findall(r"^\| ([^|]+) \|", table, re.MULTILINE)
    return [name for row in rows for name in re.findall(r"`([A-Z]+ /[^`]*)`", row)]


def test_the_api_table_names_every_endpoint_served_and_no_other() -> None:
    tabled = _tabled()
    assert len(tabled) == len(set(tabled)), "an endpoint is in the table twice"
    assert set(tabled) == _served()


# The container files ----------------------------------------------------------------------------------------

#: docker-compose.yml's own variable (which host address and port to publish on), read by Compose, not the service.
COMPOSE_VARIABLES = {"MODERATION_PUBLISH"}


@pytest.mark.parametrize("name", ["Dockerfile", "docker-compose.yml"])
def test_the_container_files_set_only_variables_the_service_reads(name: str) -> None:
    """A misspelt variable in an image or compose file is silently ignored: the service would run on defaults."""
    named = set(re.findall(r"\b((?:MODERATION|REDIS)_[A-Z_]+)\b", (ROOT / name).read_text(encoding="utf-8")))
    assert named, f"{name} sets no variable of the service"
    assert named - COMPOSE_VARIABLES <= set(_variables_read())
    assert all(variable in README for variable in named & COMPOSE_VARIABLES)


def mentioned_endpoints(text: str) -> set[tuple[str, str]]:
    """``METHOD /path`` anywhere in ``text``, a path's ``{name}`` or ``<name>`` standing for any one segment; the
    punctuation of the sentence it ends is not part of it. WordPress's own REST API (which the service calls) is
    not the service's."""
    return {(method, re.sub(r"\{[^}]+\}|<[^>]+>", "x", path).rstrip(".:;!"))
            for method, path in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[^\s`?\[\),]*)", text)
            if not path.startswith("/wp/")}


def test_an_endpoint_is_read_from_prose_as_from_code() -> None:
    """A harmless edit of the README's prose (an endpoint at a sentence's end) must not fail the test below."""
    prose = "The blog calls POST /v1/comments. Then GET /v1/review/items; see `DELETE /v1/comments/{id}`: gone."
    assert mentioned_endpoints(prose) == {("POST", "/v1/comments"), ("GET", "/v1/review/items"),
                                          ("DELETE", "/v1/comments/x")}


#: Every endpoint the READMEs mention.
MENTIONED = sorted(set().union(*(mentioned_endpoints(text) for text in readme_texts())))


@pytest.mark.parametrize("method, path", MENTIONED, ids=[f"{m} {p}" for m, p in MENTIONED])
async def test_every_endpoint_the_readme_mentions_is_served(method: str, path: str) -> None:
    match = await _app().router.resolve(make_mocked_request(method, path, app=_app()))
    assert match.http_exception is None, f"{method} {path}: {match.http_exception}"
