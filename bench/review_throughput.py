"""Claims plus decisions per second through the review queue against a real Redis.

    python bench/review_throughput.py [--redis-url URL] [--items 5000] [--moderators 20]

Fills one site's queue with held comments, then lets concurrent moderators claim (in batches) and decide
every item, each with the same code path the API uses (one Lua script per claim batch and per decision).
Without --redis-url it claims an empty database of 127.0.0.1:6379 as test sessions do, and leaves it empty.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import BlockingConnectionPool, Redis  # noqa: E402

from bench.redis_db import DATABASE_HELP, benchmark_database  # noqa: E402
from moderation_service.comments import Comment, Record, Status  # noqa: E402
from moderation_service.policy import Decision  # noqa: E402
from moderation_service.review.queue import Action, ReviewQueue  # noqa: E402
from moderation_service.review.store import CommentStore  # noqa: E402
from moderation_service.sites import Sites  # noqa: E402


def held(n: int) -> Record:
    return Record(
        id=f"bench:{n:016d}",
        comment=Comment(site_id="bench", content=f"Ein Kommentar, der geprüft werden muss ({n})", comment_id=str(n),
                        post_id=f"post-{n % 40}", author_email=f"author{n % 300}@example.org"),
        decision=Decision.HOLD, status=Status.PENDING, scores={"spam": 0.2, "toxicity": 0.7},
        reasons=[{"kind": "score", "name": "toxicity", "value": 0.7, "threshold": 0.5, "effect": "hold"}],
        model_version="bench", thresholds={}, received_at=time.time() + n * 1e-6,
    )


async def run(redis_url: str, items: int, moderators: int, batch: int) -> dict[str, float]:
    redis = Redis(connection_pool=BlockingConnectionPool.from_url(redis_url, decode_responses=True,
                                                                  max_connections=64))
    await redis.flushdb()
    store = CommentStore(redis, retention_seconds=3600)
    await asyncio.gather(*[store.record(held(n)) for n in range(items)])
    queue = ReviewQueue(redis, Sites(), retention_seconds=3600)
    counts = {"claims": 0, "decisions": 0}

    async def moderator(name: str) -> None:
        while claimed := await queue.claim_next(name, ["bench"], count=batch):
            counts["claims"] += len(claimed)
            for item in claimed:
                action = Action.APPROVE if counts["decisions"] % 2 else Action.REJECT
                await queue.decide(item.record.id, name, action)
                counts["decisions"] += 1

    started = time.perf_counter()
    await asyncio.gather(*[moderator(f"mod{i}") for i in range(moderators)])
    seconds = time.perf_counter() - started
    await redis.aclose(close_connection_pool=True)
    return {
        "items": items,
        "moderators": moderators,
        "claim_batch": batch,
        "seconds": round(seconds, 2),
        "claims_plus_decisions_per_s": round((counts["claims"] + counts["decisions"]) / seconds),
        "items_per_s": round(counts["decisions"] / seconds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=None, help=DATABASE_HELP)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--moderators", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10, help="items claimed per claim call")
    args = parser.parse_args()
    with benchmark_database(args.redis_url) as redis_url:
        print(json.dumps(asyncio.run(run(redis_url, args.items, args.moderators, args.batch))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
