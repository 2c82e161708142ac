"""Replay: a near-duplicate link-spam wave from changing IPs, mixed into normal traffic."""

from __future__ import annotations

from aiohttp import ClientSession

from bench.spam_wave import SITES_TOML, replay, traffic
from moderation_service.app import create_app
from tests.conftest import KEYS_JSON


async def test_signals_stop_the_wave_the_text_model_lets_through(aiohttp_server, settings) -> None:  # type: ignore[no-untyped-def]
    import json

    settings.sites_file.write_text(SITES_TOML)
    keys = json.loads(KEYS_JSON)
    keys["keys"].append({"name": "wave", "role": "blog", "sites": ["alone", "combined"], "key": "w" * 24})
    server = await aiohttp_server(create_app(settings.with_overrides(api_keys_json=json.dumps(keys))))
    items = traffic(spam=120, ordinary=120)
    async with ClientSession(str(server.make_url("/"))) as client:
        headers = {"Authorization": f"Bearer {'w' * 24}"}
        alone = await replay(client, items, headers, "alone")
        combined = await replay(client, items, headers, "combined")
    print("text model alone:", alone, "combined:", combined)
    assert alone["spam_total"] == combined["spam_total"] == 120
    # The friendly-looking wave largely passes the text model (the premise: otherwise this proves nothing);
    # once its copies meet in MinHash buckets the combined decision holds them: only the first copies of each
    # variant get through.
    assert alone["spam_published"] >= 0.25 * 120
    assert combined["spam_published"] <= min(0.15 * 120, alone["spam_published"] / 4)
    # ...without holding more ordinary comments than the text model does by more than a few.
    assert combined["normal_held_or_spam"] <= alone["normal_held_or_spam"] + 6
