"""Signals that remember: flood limits, local reputation, trusted authors, near-duplicate waves.

All their state for one comment is read and updated by one Lua script on the comment's site (one round
trip, batched with other requests'), under keys that expire and that hold only keyed hashes.
"""

from __future__ import annotations

from typing import Any

from ..comments import Comment
from ..links import links_of
from ..review import keys
from ..review.batching import Batcher, Script
from ..review.scripts import REPUTATION_KEYS
from .base import Hit
from .config import SignalConfig
from .minhash import band_buckets
from .textfold import fold_text

# KEYS: the comment's record, flood-ip, flood-author, author history, reputation keys (n), duplicate buckets (m),
#       the comment's counted marker.
# ARGV: flood window, duplicate window, n, m, count ip ('1'/'0'), count author ('1'/'0'), the comment's version,
#       reputation key prefix.
# Returns {-1} when this version of the comment was stored before (nothing is counted again: a blog's retry
# is no flood and no copy), else: ip count, author count, approved, rejected, spam, n reputation counts,
# copies seen. The same version arriving again before its record is written (retries sent together) is such a
# retry too: the first to arrive leaves a marker for the flood window. An edit of a stored comment (another
# version) counts nothing: it is no new comment for the flood limits, and no copy of the version it replaces.
# It reads history and reputation without what a moderator decided about the version it replaces: an edit is
# not judged by its own earlier verdict.
SIGNAL_STATE = Script(REPUTATION_KEYS + """
local edit = false
local own = {}  -- counters the replaced version's verdict raised, each by one
if redis.call('EXISTS', KEYS[1]) == 1 then
  local stored, by, action = unpack(redis.call('HMGET', KEYS[1], 'version', 'decided_by', 'decision_action'))
  if not stored or stored == ARGV[7] then return {-1} end
  edit = true
  if by and by ~= '' then
    own[({approve = 'approved', reject = 'rejected', spam = 'spam'})[action] or ''] = true
    if action == 'spam' then
      for _, key in ipairs(reputation_keys(KEYS[1], ARGV[8])) do own[key] = true end
    end
  end
else  -- GET, then SET: SET's GET option would need Redis 6.2, and a script runs alone anyway
  if redis.call('GET', KEYS[#KEYS]) == ARGV[7] then return {-1} end
  redis.call('SET', KEYS[#KEYS], ARGV[7], 'EX', ARGV[1])
end
local function without_own(name, count)
  if own[name] and count > 0 then return count - 1 end
  return count
end
local function counter(key, window)
  if edit then return 0 end
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, window) end
  return count
end
local result = {0, 0}
if ARGV[5] == '1' then result[1] = counter(KEYS[2], ARGV[1]) end
if ARGV[6] == '1' then result[2] = counter(KEYS[3], ARGV[1]) end
local fields = {'approved', 'rejected', 'spam'}
local history = redis.call('HMGET', KEYS[4], unpack(fields))
for i = 1, 3 do result[#result + 1] = without_own(fields[i], tonumber(history[i] or 0)) end
local n, m = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, n do result[#result + 1] = without_own(KEYS[4 + i], tonumber(redis.call('GET', KEYS[4 + i]) or 0)) end
local copies = 0
for i = 1, edit and 0 or m do  -- the window slides: it ends duplicates_window_seconds after the latest copy
  local seen = redis.call('INCR', KEYS[4 + n + i]) - 1
  redis.call('EXPIRE', KEYS[4 + n + i], ARGV[2])
  if seen > copies then copies = seen end
end
result[#result + 1] = copies
return result
""")


class SignalState:
    def __init__(self, batcher: Batcher) -> None:
        self._batcher = batcher

    async def hits(
        self, comment: Comment, identities: dict[str, Any], config: SignalConfig, normalized: str, record_key: str
    ) -> list[Hit]:
        """The signals that need Redis; nothing is counted when ``record_key`` (the comment's stored record)
        exists (a retry, or an edit). ``normalized`` is the model's normal form of the text."""
        site = comment.site_id
        none = keys.nothing(site)
        reputation = [("ip", identities.get("ip")), ("email", identities.get("email"))]
        reputation += [("domain", d) for d in identities.get("domains", [])]
        reputation = [(kind, value) for kind, value in reputation if value] if config.enabled("reputation") else []
        # Compared on the normal form (links reduced to their host), so tracking ids do not hide a copy.
        buckets = band_buckets(fold_text(normalized)) if config.enabled("duplicates") else []
        flood = config.enabled("flood")
        counted_ip, counted_author = bool(flood and identities.get("ip")), bool(flood and identities.get("author"))
        key_list = [
            record_key,
            keys.flood(site, "ip", identities["ip"]) if counted_ip else none,
            keys.flood(site, "author", identities["author"]) if counted_author else none,
            keys.author(site, identities["author"]) if identities.get("author") else none,
            *[keys.reputation(site, kind, value) for kind, value in reputation],
            *[keys.duplicate_bucket(site, band, bucket) for band, bucket in enumerate(buckets)],
            keys.counted(record_key),
        ]
        args = [config.flood_window_seconds, config.duplicates_window_seconds, len(reputation), len(buckets),
                int(counted_ip), int(counted_author), comment.version(), keys.reputation_prefix(site)]
        result = await self._batcher.run(SIGNAL_STATE, key_list, args)
        if result[0] == -1:  # a resubmission: the stored answer is returned, nothing is counted
            return []
        return list(self._interpret(config, reputation, result, comment))

    @staticmethod
    def _interpret(config: SignalConfig, reputation: list[tuple[str, str]], result: list[int], comment: Comment
                   ) -> Any:
        ip_count, author_count, approved, rejected, spam = result[:5]
        known = [(kind, count) for (kind, _), count in zip(reputation, result[5:-1], strict=True) if count]
        copies = result[-1]
        if ip_count > config.flood_max_per_ip or author_count > config.flood_max_per_author:
            yield Hit("flood", hold=config.flood_hold,
                      evidence={"from_ip": ip_count, "from_author": author_count,
                                "window_seconds": config.flood_window_seconds})
        if known:
            contribution = min(config.reputation_spam * sum(1 for _ in known), config.reputation_max_spam)
            yield Hit("reputation", spam=contribution,
                      evidence={"known_spam": {kind: count for kind, count in known}})
        elif approved >= config.reputation_trusted_after and not spam and config.enabled("reputation"):
            yield Hit("trusted_author", spam=config.reputation_trusted_spam, hold=-1.0,
                      evidence={"approved": approved, "rejected": rejected})
        if copies + 1 >= config.duplicates_min_copies:
            # A wave that carries a link is a campaign; without one, it may be readers who say the same thing:
            # a reason to look, not spam.
            linked = _linked(comment)
            yield Hit("duplicates", spam=config.duplicates_spam if linked else 0.0,
                      hold=0.0 if linked else config.duplicates_hold,
                      evidence={"similar_recent": copies, "window_seconds": config.duplicates_window_seconds,
                                "linked": linked})


def _linked(comment: Comment) -> bool:
    """Whether a comment points somewhere: a link in its text, or its author's website."""
    return bool(comment.author_url) or links_of(comment.content).search(comment.content) is not None
