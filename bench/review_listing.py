"""Time of one page of the pending list (``GET /v1/review/items``), by order and filter, on a deep queue.

    python bench/review_listing.py [--redis-url URL] [--items 20000] [--pages 20]

Fills one site's queue with held comments (risk spread over [0, 1); half held for toxicity, half for
insult; 50 posts), then reads pages of 50 through :meth:`ReviewQueue.pending`, the API's own call, in each
order with and without a post or reason filter. Without --redis-url it claims an empty database of
127.0.0.1:6379 as test sessions do, and leaves it empty.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis  # noqa: E402

from bench.redis_db import DATABASE_HELP, benchmark_database  # noqa: E402
from moderation_service.comments import Comment, Record, Status  # noqa: E402
from moderation_service.policy import Decision  # noqa: E402
from moderation_service.review.queue import Order, ReviewQueue  # noqa: E402
from moderation_service.review.store import CommentStore  # noqa: E402
from moderation_service.sites import Sites  # noqa: E402

PAGE = 50
CASES = {
    "oldest": {},
    "risk": {"order": Order.RISK},
    "oldest, one reason": {"reason": "toxicity"},
    "risk, one reason": {"order": Order.RISK, "reason": "toxicity"},
    "risk, one post": {"order": Order.RISK, "post": "post-3"},
    "oldest, post and reason": {"post": "post-3", "reason": "toxicity"},
}


def held(n: int) -> Record:
    risk = (n * 7919 % 1000) / 1000
    reason = "toxicity" if n % 2 else "insult"
    return Record(
        id=f"bench:{n:016d}",
        comment=Comment(site_id="bench", content=f"Ein Kommentar, der geprüft werden muss ({n})", comment_id=str(n),
                        post_id=f"post-{n % 50}", author_email=f"author{n % 300}@example.org"),
        decision=Decision.HOLD, status=Status.PENDING, scores={"spam": 0.1, reason: risk},
        reasons=[{"kind": "score", "name": reason, "value": risk, "threshold": 0.0, "effect": "hold"}],
        model_version="bench", thresholds={}, received_at=time.time() + n * 1e-6,
    )


async def run(redis_url: str, items: int, pages: int) -> dict[str, object]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    await redis.flushdb()
    store = CommentStore(redis, retention_seconds=3600)
    for start in range(0, items, 50):
        await asyncio.gather(*[store.record(held(n)) for n in range(start, min(start + 50, items))])
    queue = ReviewQueue(redis, Sites(), retention_seconds=3600)
    ms_per_page = {}
    for name, filters in CASES.items():
        started = time.perf_counter()
        for _ in range(pages):
            page = await queue.pending("bench", limit=PAGE, **filters)
        ms_per_page[name] = round(1000 * (time.perf_counter() - started) / pages, 1)
        assert len(page) == PAGE, (name, len(page))
    await redis.flushdb()
    await redis.aclose()
    return {"pending": items, "page": PAGE, "ms_per_page": ms_per_page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=None, help=DATABASE_HELP)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    with benchmark_database(args.redis_url) as redis_url:
        print(json.dumps(asyncio.run(run(redis_url, args.items, args.pages)), indent=2))


if __name__ == "__main__":
    main()
