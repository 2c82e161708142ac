"""Failed sign-ins to the moderator UI, counted per client address in Redis, and refused past a limit.

The sign-in form takes a key and nothing else, so a failed attempt belongs to no account: a wrong key is
someone's guess, counted against the address it came from. After ``attempts`` failures within ``window``
seconds (from the first), every sign-in from that address, the right key's too, is a ``429`` until the window
ends: answered by key, the lock would still tell a right guess from a wrong one. A successful sign-in clears
the address's count; a real key of the wrong kind (a blog key) is no guess and counts nothing.

The address is the connection's, or, when the connection comes from a proxy named in
``MODERATION_TRUSTED_PROXIES``, the last one in ``X-Forwarded-For`` that is not such a proxy (anyone can send
that header: from anyone else it is ignored). Redis keeps a keyed hash of the address, never the address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web
from redis.asyncio import Redis

from ..identity import Hasher
from ..review import keys

#: KEYS: the address's counter. ARGV: the window in seconds. Counts a failure; the window starts at the first.
COUNT_FAILURE = """
local failures = redis.call('INCR', KEYS[1])
if failures == 1 or redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return failures
"""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SignInThrottle:
    def __init__(self, redis: Redis, hasher: Hasher, attempts: int, window_seconds: int,
                 trusted_proxies: Iterable[str] = ()) -> None:
        self._redis = redis
        self._hasher = hasher
        self.attempts = attempts
        self.window_seconds = window_seconds
        self._proxies: tuple[Network, ...] = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)
        self._count_failure = redis.register_script(COUNT_FAILURE)

    def client(self, request: web.Request) -> str:
        """The address a sign-in comes from (see the module's description)."""
        remote = request.remote or ""
        if not self._trusted(remote):
            return remote
        for hop in reversed(",".join(request.headers.getall("X-Forwarded-For", [])).split(",")):
            hop = hop.strip()
            if not hop:
                continue
            if _address(hop) is None:  # a proxy of ours would not write this: trust nothing further left
                return remote
            if not self._trusted(hop):
                return hop
        return remote

    def _trusted(self, address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self._proxies)

    def _key(self, client: str) -> str:
        return keys.sign_in_failures(self._hasher.hash("sign-in", "", client))

    async def wait_seconds(self, client: str) -> int | None:
        """Seconds until ``client`` may sign in again, or ``None`` while it may."""
        key = self._key(client)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.ttl(key)
            failures, ttl = await pipe.execute()
        if failures is None or int(failures) < self.attempts:
            return None
        return max(int(ttl), 1)

    async def failed(self, client: str) -> None:
        await self._count_failure(keys=[self._key(client)], args=[self.window_seconds])

    async def succeeded(self, client: str) -> None:
        await self._redis.delete(self._key(client))


THROTTLE = web.AppKey("sign_in_throttle", SignInThrottle)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None
