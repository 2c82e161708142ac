"""Webhook deliveries of final decisions (and of decisions taken back), from a durable outbox in Redis.

A decision script adds the delivery (payload, status ``pending``) to its site's outbox atomically with the
decision. Every service process runs :meth:`Outbox.run`: it takes due deliveries with a short in-flight
lease (so two processes never send the same attempt at once, and a process that dies mid-delivery only
delays it), POSTs them signed (or, for a WordPress site, sets the comment's status there: :mod:`.wordpress`),
and records success, or the failure and the time of the next attempt (exponential backoff), until
``max_attempts`` failures mark it ``failed``. One comment's deliveries go out in the order they were made
(``BEGIN_ATTEMPT``). Operators list and retry them.

Signature: ``X-Moderation-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`` with the
timestamp in ``X-Moderation-Timestamp`` (Unix seconds), so receivers can refuse replays.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from redis.asyncio import Redis

from ..exceptions import Conflict, NotFound
from ..metrics import Metrics
from ..sites import SiteConfig, Sites, WordPressConfig
from . import keys
from .store import CommentStore
from .wordpress import WordPressError, WordPressTarget

logger = logging.getLogger(__name__)

# KEYS: due set. ARGV: now, in-flight lease end, limit. Takes due deliveries and pushes them past the lease.
CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
"""

# KEYS: the delivery, due set. ARGV: now, in-flight lease end, delivery key prefix, delivery id.
# Starts an attempt: {'send', payload, attempts}, the delivery marked as being sent until the lease ends;
# {'skip'} for one no longer pending (cancelled: it leaves the due set); {'wait'} while a delivery made
# before it for the same item is unsettled (waiting, or being sent): it is due again just after that one.
# So a blog hears of one comment's events in the order they happened, even across retries. The walk back
# along ``after`` stops at a delivered or failed one (it was sent only once those before it were settled)
# and passes cancelled ones (never sent, so those before them may still wait).
BEGIN_ATTEMPT = """
local now = tonumber(ARGV[1])
local status, after, payload, attempts = unpack(redis.call('HMGET', KEYS[1], 'status', 'after', 'payload',
                                                           'attempts'))
if status ~= 'pending' then
  redis.call('ZREM', KEYS[2], ARGV[4])
  return {'skip'}
end
while after do
  local state, sending, before = unpack(redis.call('HMGET', ARGV[3] .. after, 'status', 'sending_until', 'after'))
  if sending and tonumber(sending) > now then  -- being sent: look again in a second
    redis.call('ZADD', KEYS[2], now + 1, ARGV[4])
    return {'wait'}
  end
  if state == 'pending' then  -- waiting for its next attempt: go just after it
    local ahead = tonumber(redis.call('ZSCORE', KEYS[2], after) or now)
    redis.call('ZADD', KEYS[2], math.max(ahead + 0.001, now + 1), ARGV[4])
    return {'wait'}
  end
  if state ~= 'cancelled' then break end
  after = before
end
redis.call('HSET', KEYS[1], 'sending_until', ARGV[2])
return {'send', payload, attempts or '0'}
"""

# KEYS: the delivery, due set. ARGV: now, delivery id, item key prefix.
# Sends a failed delivery again, unless its comment is gone or a later event about it was made since (the
# blog would hear an outdated one last). Returns {'ok'} or a refusal: {'not_found'}, {'not_failed', status},
# {'gone'}, {'superseded'}.
RETRY = """
local status, item = unpack(redis.call('HMGET', KEYS[1], 'status', 'item'))
if not status then return {'not_found'} end
if status ~= 'failed' then return {'not_failed', status} end
local record = ARGV[3] .. string.match(item, ':([^:]+)$')
if redis.call('EXISTS', record) == 0 then return {'gone'} end
local last = redis.call('HGET', record, 'last_delivery')
if last and last ~= ARGV[2] then return {'superseded'} end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0)
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return {'ok'}
"""

# KEYS: deliveries. ARGV: the time before which deliveries were made, delivery key prefix.
# Deliveries made before then leave the operators' list and Redis (a payload names the blog's comment, an error
# may name its author: kept no longer than the list shows them); one still owed stays, and goes once settled.
PRUNE = """
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  if redis.call('HGET', ARGV[2] .. id, 'status') ~= 'pending' then
    redis.call('ZREM', KEYS[1], id)
    redis.call('DEL', ARGV[2] .. id)
  end
end
"""

IN_FLIGHT_SECONDS = 120
KEEP_DELIVERIES_SECONDS = 30 * 86400


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class WebhookPolicy:
    max_attempts: int = 15
    timeout_seconds: float = 10.0
    backoff_seconds: float = 2.0
    backoff_cap_seconds: float = 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` failures (exponential, jittered, capped)."""
        base = self.backoff_seconds * 2 ** (attempts - 1)
        return min(self.backoff_cap_seconds, base * random.uniform(1.0, 1.25))


class Outbox:
    def __init__(self, redis: Redis, sites: Sites, policy: WebhookPolicy, metrics: Metrics,
                 store: CommentStore) -> None:
        self._redis = redis
        self._store = store
        self._sites = sites
        self.policy = policy
        self._metrics = metrics
        self._claim_due = redis.register_script(CLAIM_DUE)
        self._begin_attempt = redis.register_script(BEGIN_ATTEMPT)
        self._retry = redis.register_script(RETRY)
        self._prune = redis.register_script(PRUNE)

    def _notified_sites(self) -> list[str]:
        """Sites told of final decisions: by webhook, or in WordPress."""
        return [s.site_id for s in self._sites.sites.values() if s.hears_decisions]

    async def deliver_due(self, session: aiohttp.ClientSession, limit: int = 20) -> int:
        """One pass over every site told of decisions; returns how many attempts were made."""
        attempts = 0
        for site_id in self._notified_sites():
            now = time.time()
            due = await self._claim_due(keys=[keys.outbox_due(site_id)],
                                        args=[repr(now), repr(now + IN_FLIGHT_SECONDS), limit])
            results = await asyncio.gather(*[self._attempt(session, site_id, d) for d in due])
            attempts += sum(results)
        return attempts

    async def _attempt(self, session: aiohttp.ClientSession, site_id: str, delivery_id: str) -> int:
        now = time.time()
        begun = await self._begin_attempt(
            keys=[keys.delivery(site_id, delivery_id), keys.outbox_due(site_id)],
            args=[repr(now), repr(now + IN_FLIGHT_SECONDS), keys.delivery(site_id, ""), delivery_id])
        if begun[0] != "send":
            return 0
        _, payload, attempts = begun
        site = self._sites.get(site_id)
        try:
            if site.wordpress:
                error = await self._set_in_wordpress(session, site.wordpress, payload)
            else:
                error = await self._post_webhook(session, site, delivery_id, payload)
        except Exception as exc:  # a fault of ours, or an answer nobody foresaw: an attempt that failed, said why
            logger.warning("delivery %s for site %s failed unexpectedly", delivery_id, site_id, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
        result = await self._settle(site_id, delivery_id, int(attempts) + 1, error)
        self._metrics.webhook_attempted(result)
        return 1

    async def _post_webhook(self, session: aiohttp.ClientSession, site: SiteConfig, delivery_id: str,
                            payload: str) -> str | None:
        """POST the signed event to the site's webhook; returns what went wrong, or None."""
        body = payload.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Moderation-Timestamp": timestamp,
            "X-Moderation-Signature": sign(site.webhook_secret or "", timestamp, body),
            "X-Moderation-Delivery": delivery_id,
        }
        try:
            # A redirect is not followed: aiohttp would resend the POST as a GET, and a 200 for that is no delivery.
            async with session.post(site.webhook_url or "", data=body, headers=headers, allow_redirects=False,
                                    timeout=aiohttp.ClientTimeout(total=self.policy.timeout_seconds)) as response:
                if 300 <= response.status < 400 and response.headers.get("Location"):
                    return (f"HTTP {response.status} (the hook redirects to {response.headers['Location']}: "
                            "set webhook_url to that address)")
                return f"HTTP {response.status}" if response.status >= 300 else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"

    async def _set_in_wordpress(self, session: aiohttp.ClientSession, wordpress: WordPressConfig,
                                payload: str) -> str | None:
        """Set the event's comment's status in WordPress; returns what went wrong, or None."""
        event = json.loads(payload)
        try:
            await WordPressTarget(session, wordpress, self.policy.timeout_seconds).deliver(
                event, await self._store.get(event["id"]))
        except WordPressError as exc:
            return str(exc)
        return None

    async def _settle(self, site_id: str, delivery_id: str, attempts: int, error: str | None) -> str:
        """Record an attempt's result: ``delivered``, ``failed`` (for good) or ``retry`` (scheduled again)."""
        now = time.time()
        key = keys.delivery(site_id, delivery_id)
        pipe = self._redis.pipeline(transaction=True)
        if error is None:
            result = "delivered"
            pipe.hset(key, mapping={"status": "delivered", "attempts": attempts, "delivered_at": now,
                                    "last_attempt_at": now, "last_error": ""})
            pipe.zrem(keys.outbox_due(site_id), delivery_id)
        elif attempts >= self.policy.max_attempts:
            result = "failed"
            logger.warning("webhook delivery %s for site %s failed for good after %d attempts: %s",
                           delivery_id, site_id, attempts, error)
            pipe.hset(key, mapping={"status": "failed", "attempts": attempts, "last_attempt_at": now,
                                    "last_error": error})
            pipe.zrem(keys.outbox_due(site_id), delivery_id)
        else:
            result = "retry"
            next_at = now + self.policy.delay(attempts)
            pipe.hset(key, mapping={"attempts": attempts, "last_attempt_at": now, "last_error": error,
                                    "next_attempt_at": next_at})
            pipe.zadd(keys.outbox_due(site_id), {delivery_id: next_at})
        pipe.hdel(key, "sending_until")
        await self._prune(keys=[keys.deliveries(site_id)],
                          args=[repr(now - KEEP_DELIVERIES_SECONDS), keys.delivery(site_id, "")], client=pipe)
        await pipe.execute()
        return result

    async def due(self) -> dict[str, int]:
        """Deliveries waiting to be sent or retried, for each site told of decisions (webhook or WordPress)."""
        sites = self._notified_sites()
        pipe = self._redis.pipeline(transaction=False)
        for site_id in sites:
            pipe.zcard(keys.outbox_due(site_id))
        return dict(zip(sites, await pipe.execute()))

    async def list(self, site_id: str, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Deliveries, newest first (optionally only ``pending``, ``delivered``, ``failed`` or ``cancelled``)."""
        ids = await self._redis.zrevrange(keys.deliveries(site_id), 0, -1)
        found = []
        for delivery_id in ids:
            delivery = await self._redis.hgetall(keys.delivery(site_id, delivery_id))
            if delivery and (status is None or delivery.get("status") == status):
                found.append(delivery)
                if len(found) >= limit:
                    break
        return found

    async def retry(self, site_id: str, delivery_id: str) -> None:
        """Send a failed delivery again (attempts start over).

        :raises NotFound: no such delivery.
        :raises Conflict: it did not fail, its comment is gone, or a later event about the comment was made.
        """
        reply = await self._retry(keys=[keys.delivery(site_id, delivery_id), keys.outbox_due(site_id)],
                                  args=[repr(time.time()), delivery_id, keys.comment(site_id, "")])
        where = f"delivery '{delivery_id}' of site '{site_id}'"
        if reply[0] == "not_found":
            raise NotFound(f"No {where}.")
        if reply[0] == "not_failed":
            raise Conflict(f"The {where} is {reply[1]}; only a failed delivery is retried.")
        if reply[0] == "gone":
            raise Conflict(f"The comment of the {where} was deleted or has expired; its event is not sent again.")
        if reply[0] == "superseded":
            raise Conflict(f"A later event about the comment of the {where} was made since; sending this one "
                           "again would leave the blog with an outdated state.")

    async def run(self, session: aiohttp.ClientSession, interval: float = 1.0) -> None:
        while True:
            try:
                await self.deliver_due(session)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away, etc.: try again next round
                logger.debug("webhook delivery round failed", exc_info=True)
            await asyncio.sleep(interval)
