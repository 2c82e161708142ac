"""Shared fixtures: a real Redis database per test, a small trained model, settings, keys and a client.

Redis: ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379``). The session picks one database that is
empty when the run starts (1-15, never 0) and every test starts with that database flushed; nothing else
on the server is touched. ``scripts/test`` starts a private Redis server when none is reachable.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from bench.redis_db import NoFreeDatabase, claimed_database
from moderation_service.app import create_app
from moderation_service.settings import Settings
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
#: The READMEs operators read: the commands, options and endpoints they show are checked against the code
#: (tests/test_cli_help.py, tests/test_readme_examples.py).
READMES = ("README.md", "models/README.md", "data/README.md")


def readme_texts() -> list[str]:
    return [(ROOT / name).read_text(encoding="utf-8") for name in READMES]

KEYS = {
    "blog": "blog-key-for-site-kommblog-0001",
    "other_blog": "blog-key-for-site-otherblog-002",
    "moderator": "moderator-key-all-sites-000003",
    "admin": "admin-key-operations-0000000004",
    "monitor": "monitor-key-prometheus-00000005",
}
KEYS_JSON = json.dumps(
    {
        "keys": [
            {"name": "kommblog", "role": "blog", "sites": ["kommblog"], "key": KEYS["blog"]},
            {"name": "otherblog", "role": "blog", "sites": ["otherblog"], "key": KEYS["other_blog"]},
            {"name": "mod", "role": "moderator", "sites": ["*"], "key": KEYS["moderator"]},
            {"name": "ops", "role": "admin", "key": KEYS["admin"]},
            {"name": "prometheus", "role": "monitor", "key": KEYS["monitor"]},
        ]
    }
)


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def _base_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A database of the test Redis server that no other test session uses, empty at the start and at the end.

    Concurrent test sessions (and benchmarks) on one server each claim their own database
    (:func:`bench.redis_db.claimed_database`), so one session's flushes never hit another's data.
    """
    base = _base_url()
    try:
        with claimed_database(base) as url:
            yield url
    except sync_redis.ConnectionError as exc:
        pytest.fail(f"no Redis at {base} ({exc}); run the tests with scripts/test, which starts one")
    except NoFreeDatabase as exc:
        pytest.fail(str(exc))


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of the test's own, which the test may stop (an outage) and start again."""
    server = RedisServer(directory=tmp_path / "redis-data").start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def _small_corpus(path: Path) -> None:
    """About 3,000 real labelled texts from the committed data, with both classes of every score."""
    from training.datasets import load_path

    rng = random.Random(7)
    lines = []
    for folder, size in (("youtube-spam", 1000), ("sms-spam-de-mt", 400), ("germeval2018", 1000),
                         ("jigsaw-toxic", 600)):
        examples = load_path(ROOT / "data" / folder)[0].examples
        chosen = rng.sample(examples, min(size, len(examples)))
        if folder == "jigsaw-toxic":  # enough of the rare labels
            for attribute in ("severe_toxicity", "threat", "identity_attack"):
                chosen += rng.sample([e for e in examples if e.labels.get(attribute) == 1], 40)
        lines += [{"content": e.content, "labels": e.labels, "source": e.source} for e in chosen]
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small but real model artifact, trained once per test session."""
    from training.train import load_data, train, write

    folder = tmp_path_factory.mktemp("model")
    corpus = folder / "corpus.jsonl"
    _small_corpus(corpus)
    trained = train(load_data([corpus], report=lambda _: None), report=lambda _: None)
    return write(trained, folder / "artifact", version="test-model")


#: Site "kommblog" sets every threshold itself, so API tests do not hang on the small model's own choices;
#: "otherblog" uses the thresholds from the model's manifest.
SITES_TOML = """
[sites.kommblog]
name = "Kommunikationsblog"
[sites.kommblog.thresholds]
spam = { hold = 0.5, spam = 0.9 }
toxicity = { hold = 0.5 }
severe_toxicity = { hold = 0.5 }
identity_attack = { hold = 0.5 }
insult = { hold = 0.5 }
profanity = { hold = 0.5 }
threat = { hold = 0.5 }
"""


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, model_dir: Path, redis: Redis) -> Settings:
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(SITES_TOML, encoding="utf-8")
    return Settings(
        sites_file=sites_file,
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        models_dir=tmp_path / "models",
        model_dir=model_dir,
        api_keys_json=KEYS_JSON,
        redis_timeout=0.5,
    ).validated()


@pytest.fixture
async def client(aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def comment() -> Iterator[dict[str, object]]:
    yield {
        "site_id": "kommblog",
        "comment_id": "4711",
        "post_id": "krisenkommunikation-2026",
        "permalink": "https://kommblog.example/2026/krisenkommunikation",
        "content": "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich.",
        "author_name": "Jana Weber",
        "author_email": "jana@example.org",
        "author_url": "https://jana.example.org",
        "author_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "referrer": "https://kommblog.example/",
        "lang": "de",
        "submitted_at": "2026-11-26T10:15:00+01:00",
    }
