"""Protocol tests: the shared fixtures, plus blog URLs, a Coral signing secret and a key valid for two sites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from moderation_service.appkeys import LABELS
from moderation_service.settings import Settings
from tests.conftest import KEYS_JSON, SITES_TOML

CORAL_SECRET = "coral-phase-signing-secret-kommblog"
TWO_SITES_KEY = "blog-key-for-two-sites-000000005"
KOMMBLOG = 'name = "Kommunikationsblog"\n'


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """kommblog with its blog URL and Coral secret, otherblog with a URL, and an agency key for both."""
    assert KOMMBLOG in SITES_TOML, "tests/conftest.py changed kommblog's name line; adjust this fixture"
    sites = SITES_TOML.replace(KOMMBLOG, f'{KOMMBLOG}urls = ["https://kommblog.example"]\n'
                                         f'coral_secret = "{CORAL_SECRET}"\n')
    sites += '\n[sites.otherblog]\nurls = ["https://www.otherblog.example/blog/"]\n'
    sites_file = tmp_path / "protocol-sites.toml"
    sites_file.write_text(sites, encoding="utf-8")
    keys = json.loads(KEYS_JSON)
    keys["keys"].append({"name": "agency", "role": "blog", "sites": ["kommblog", "otherblog"], "key": TWO_SITES_KEY})
    return settings.with_overrides(sites_file=sites_file, api_keys_json=json.dumps(keys))


async def labels_of(client: Any) -> list[dict[str, Any]]:  # the aiohttp test client
    return [example async for _, example in client.server.app[LABELS].examples()]
