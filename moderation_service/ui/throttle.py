"""Failed sign-ins to the moderator UI, counted per client address in Redis, and refused past a limit.

The sign-in form takes a key and nothing else, so a failed attempt belongs to no account: a wrong key is
someone's guess, counted against the address it came from. After ``attempts`` failures within ``window``
seconds (from the first), every sign-in from that address, the right key's too, is a ``429`` until the window
ends: answered by key, the lock would still tell a right guess from a wrong one. Every attempt is counted
before its key is checked, atomically, so guesses sent all at once are held to the limit as well. A
successful sign-in clears the address's count; a real key of the wrong kind (a blog key) is no guess and is
not counted.

The address is the connection's, or, when the connection comes from a proxy named in
``MODERATION_TRUSTED_PROXIES``, the last one in ``X-Forwarded-For`` that is not such a proxy (anyone can send
that header: from anyone else it is ignored). An IPv6 address counts by its /64, the block one subscriber
or host is given (counted per address, each guess could come from a new one); an IPv4 address counts alone, and
so does one written as IPv6 (``::ffff:198.51.100.7``). Redis keeps a keyed hash of what is counted, never the
address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web
from redis.asyncio import Redis

from ..identity import Hasher
from ..review import keys

#: KEYS: the address's counter. ARGV: the window in seconds, the attempts allowed in it. Counts an attempt
#: before its key is checked (so that a burst of guesses sent at once is counted as they come, not after all
#: of them passed the check); the window starts at the first. Returns -1 while the attempt may go on, else the
#: seconds until the window ends.
ATTEMPT = """
local attempts = redis.call('INCR', KEYS[1])
if attempts == 1 or redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if attempts <= tonumber(ARGV[2]) then return -1 end
return math.max(redis.call('TTL', KEYS[1]), 1)
"""

#: KEYS: the address's counter. An attempt that was no guess (a real key of the wrong kind) is not counted.
UNCOUNT = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end
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
        self._attempt = redis.register_script(ATTEMPT)
        self._uncount = redis.register_script(UNCOUNT)

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
        return keys.sign_in_failures(self._hasher.hash("sign-in", "", counted_as(client)))

    async def attempt(self, client: str) -> int | None:
        """Count a sign-in attempt from ``client``: ``None`` while it may go on, else the seconds until it may."""
        wait = int(await self._attempt(keys=[self._key(client)], args=[self.window_seconds, self.attempts]))
        return None if wait < 0 else wait

    async def no_guess(self, client: str) -> None:
        """The attempt was a real key, refused for its role: it does not count."""
        await self._uncount(keys=[self._key(client)])

    async def succeeded(self, client: str) -> None:
        """Signed in: the address's count starts over."""
        await self._redis.delete(self._key(client))


THROTTLE = web.AppKey("sign_in_throttle", SignInThrottle)


#: The prefix of an IPv6 address that one client counts as (a /64 is the smallest block a subscriber is given).
IPV6_CLIENT_PREFIX = 64


def counted_as(client: str) -> str:
    """What a client's failures are counted under: an IPv6 address's /64 (``2001:db8:1:2::/64``), an IPv4
    address (also one mapped into IPv6), or, not an address (a Unix socket's peer), the value as it is."""
    address = _address(client)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return client if address is None else str(address)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None
