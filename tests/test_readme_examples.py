"""The README's sites-file examples load as they are written (a copied example must not stop the service)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from moderation_service.sites import load_sites
from tests.conftest import ROOT

BLOCKS = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)


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
