"""Replay a spam wave mixed into normal traffic; count how much spam is published.

    python bench/spam_wave.py [--redis-url URL] [--spam 300] [--normal 600]

A wave: hundreds of near-identical German link-spam comments with small variations (greeting, amount,
wording, link path), each from another IP address, mixed at random into ordinary comments. The same
traffic goes through the service twice on a clean database: once with every signal disabled (the text
model alone) and once with all signals on (the combined decision). Prints how many spam comments each
published and how many ordinary comments each held or marked spam. Uses the live model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.redis_db import DATABASE_HELP, benchmark_database  # noqa: E402

# Link spam that reads like a friendly comment: praise, a pointer to "more on the topic", a link.
GREETINGS = ["Toller Beitrag", "Super Artikel", "Sehr guter Artikel", "Klasse Beitrag", "Interessanter Artikel"]
PRAISE = [", danke fürs Teilen!", ", vielen Dank dafür!", ", sehr hilfreich!", ", gut geschrieben!"]
POINTERS = [
    "Ich habe hier noch mehr zum Thema gefunden:",
    "Ergänzend dazu fand ich diesen Ratgeber sehr gut:",
    "Wer mehr wissen will, findet hier weitere Infos:",
]
DOMAINS = ["ratgeber-kommunikation.example", "pr-tipps-heute.example"]


def wave(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        link = f"https://{rng.choice(DOMAINS)}/{rng.choice(['artikel', 'tipps', 'ratgeber'])}?id={rng.randrange(10**6)}"
        texts.append(f"{rng.choice(GREETINGS)}{rng.choice(PRAISE)} {rng.choice(POINTERS)} {link}")
    return texts


def normal(count: int, seed: int = 7) -> list[str]:
    from bench.comments import comment_mix

    return [c["content"] for c in comment_mix(count, seed) if c["kind"] in ("german_ham", "english_ham")][:count]


def traffic(spam: int, ordinary: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    items = [{"content": t, "spam": True} for t in wave(spam, seed)]
    items += [{"content": t, "spam": False} for t in normal(ordinary * 2, seed)[:ordinary]]
    rng.shuffle(items)
    for n, item in enumerate(items):
        item["author_ip"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        item["comment_id"] = str(n)
        item["author_name"] = rng.choice(["Max", "Julia", "Kevin", "Sandra", "Tom", "Lena"]) + str(rng.randrange(99))
    return items


async def replay(client: Any, items: list[dict[str, Any]], headers: dict[str, str], site: str) -> dict[str, int]:
    counts = {"spam_published": 0, "spam_total": 0, "normal_held_or_spam": 0, "normal_total": 0}
    for item in items:
        body = {"site_id": site, **{k: v for k, v in item.items() if k != "spam"}}
        async with client.post("/v1/comments", json=body, headers=headers) as response:
            decision = (await response.json())["decision"]
        if item["spam"]:
            counts["spam_total"] += 1
            counts["spam_published"] += decision == "publish"
        else:
            counts["normal_total"] += 1
            counts["normal_held_or_spam"] += decision != "publish"
    return counts


SITES_TOML = """
[sites.alone.signals]
disabled = ["honeypot", "timing", "links", "words", "language", "reputation", "duplicates", "flood"]
[sites.combined]
name = "all signals on"
"""


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with benchmark_database(args.redis_url) as redis_url:
        return await _run(args, redis_url)


async def _run(args: argparse.Namespace, redis_url: str) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from moderation_service.app import create_app
    from moderation_service.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="spam-wave-"))
    (folder / "sites.toml").write_text(SITES_TOML)
    key = "spam-wave-benchmark-key-0123456789"
    keys = {"keys": [{"name": "wave", "role": "blog", "sites": ["alone", "combined"], "key": key}]}
    settings = Settings.from_env().with_overrides(
        redis_url=redis_url, data_dir=folder, sites_file=folder / "sites.toml", api_keys_json=json.dumps(keys),
        identity_secret="spam-wave-benchmark-secret")
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    items = traffic(args.spam, args.normal)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as client:
            headers = {"Authorization": f"Bearer {key}"}
            alone = await replay(client, items, headers, "alone")
            combined = await replay(client, items, headers, "combined")
    finally:
        await runner.cleanup()
    return {"text_model_alone": alone, "combined": combined}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=None, help=DATABASE_HELP)
    parser.add_argument("--spam", type=int, default=300)
    parser.add_argument("--normal", type=int, default=600)
    print(json.dumps(asyncio.run(main_async(parser.parse_args()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
