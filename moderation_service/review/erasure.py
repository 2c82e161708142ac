"""Erasing a commenter's personal data from a comment's record, when they ask the blog to (GDPR, Art. 17).

The record keeps what the blog and the moderators need of the comment (its text, status, decision, scores,
reasons, place in the review queue, earlier versions' texts) and loses who wrote it: the fields of
:data:`PERSONAL_FIELDS` in every version, and the keyed hashes of the author, IP address, e-mail address
and link domains (see :mod:`moderation_service.identity`) that tied the comment to that person. What a
moderator's (or the blog's) decision on the current version counted under those hashes, the author's
history and a spam verdict's reputation, is taken back, and a held comment leaves the queue's index of
its author. A held comment is still claimed and decided as an anonymous one, and the blog still hears the
decision (webhook payloads name ids, never the author).

Left as they are: the record's id and its version fingerprint (unkeyed hashes of the identity and of text,
name, e-mail and website, see :meth:`moderation_service.comments.Comment.version`: they tell a retry from
an edit, so a comment sent again as it first was brings nothing back), what an earlier version's decision
counted (its hashes were not kept), and short-lived counters (flood windows, near-duplicates, Coral's
thread memory), which expire on their own.

The comment's JSON is rewritten here, in Python (Redis's cjson would turn an empty list into ``{}`` and
round numbers), and written by :data:`ERASE` only if the record did not change meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..jsonfast import dumps
from . import keys
from .scripts import COMMON, REPUTATION_KEYS

#: The comment's fields that say who wrote it, or that their browser sent. ``honeypot`` too: a browser's
#: autofill may put the person's name or address into the hidden field.
PERSONAL_FIELDS = ("author_name", "author_email", "author_url", "author_ip", "user_agent", "referrer", "honeypot")

# KEYS: item, audit, the queue index of the item's author (or a key never written).
# ARGV: id, actor, now, audit maxlen, the item's data, earlier versions and queue indexes as read ('' = none),
#       the same erased, the names of the fields erased (JSON, for the audit log), author key prefix,
#       reputation key prefix.
# Written only if the item is as read (else {'changed'}: read it again). What the current decision counted
# under the item's keyed hashes is taken back (a counter that reaches 0 leaves Redis), then the hashes go.
# Returns {'ok', erased_at, state} or {'not_found'} / {'changed'}.
ERASE = COMMON + REPUTATION_KEYS + """
local id, actor, now = ARGV[1], ARGV[2], ARGV[3]
local data, earlier, indexes = unpack(redis.call('HMGET', KEYS[1], 'data', 'earlier', 'indexes'))
if not data then return {'not_found'} end
if data ~= ARGV[5] or (earlier or '') ~= ARGV[6] or (indexes or '') ~= ARGV[7] then return {'changed'} end

local function lower(key, field)
  local left
  if field then left = redis.call('HINCRBY', key, field, -1) else left = redis.call('DECR', key) end
  if left <= 0 then
    if field then redis.call('HDEL', key, field) else redis.call('DEL', key) end
  end
end
local status, decided_by, action, author = unpack(redis.call('HMGET', KEYS[1], 'status', 'decided_by',
                                                             'decision_action', 'author'))
local counters = {approve = 'approved', reject = 'rejected', spam = 'spam'}
if decided_by and decided_by ~= '' then
  if author and author ~= '' and counters[action]
     and tonumber(redis.call('HGET', ARGV[12] .. author, counters[action]) or '0') > 0 then
    lower(ARGV[12] .. author, counters[action])
  end
  if status == 'spam' then
    for _, key in ipairs(reputation_keys(KEYS[1], ARGV[13])) do
      if tonumber(redis.call('GET', key) or '0') > 0 then lower(key) end
    end
  end
end
redis.call('ZREM', KEYS[3], id)

redis.call('HSET', KEYS[1], 'data', ARGV[8], 'identities', '{}', 'author', '')
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'earlier', ARGV[9]) end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'indexes', ARGV[10]) end
local erased_at = redis.call('HGET', KEYS[1], 'erased_at')
if not erased_at then
  erased_at = now
  redis.call('HSET', KEYS[1], 'erased_at', now)
end
if ARGV[11] ~= '[]' or erased_at == now then
  audit(KEYS[2], ARGV[4], now, actor, 'erase_personal_data', id, cjson.encode({status = status}),
        string.sub(cjson.encode({status = status}), 1, -2) .. ',"erased_fields":' .. ARGV[11] .. '}')
end
return {'ok', erased_at, item_state(KEYS[1], ARGV[12])}
"""


class Erasure(NamedTuple):
    """A record's hash rewritten without the person: the new values of its fields, and what goes."""

    data: str
    earlier: str
    indexes: str
    #: The comment's fields (:data:`PERSONAL_FIELDS`) that any of its versions had.
    erased_fields: list[str]
    #: Whether the record still holds keyed hashes of the person.
    hashes: bool
    #: The queue index of the author's held comments the item leaves (None: it has no author's hash).
    author_index: str | None

    @property
    def needed(self) -> bool:
        """Whether anything of the person is left to erase (else a repeat changes nothing)."""
        return bool(self.erased_fields) or self.hashes


def without_person(comment: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The comment's fields without :data:`PERSONAL_FIELDS`, and the names of those it had."""
    kept = {name: value for name, value in comment.items() if name not in PERSONAL_FIELDS}
    return kept, set(comment) - set(kept)


def erasure(site_id: str, fields: Mapping[str, str]) -> Erasure:
    """What erasing the person from a record's hash (``fields``, as read) writes."""
    data = json.loads(fields["data"])
    data["comment"], erased = without_person(data["comment"])
    earlier = json.loads(fields.get("earlier") or "[]")
    for version in earlier:
        if isinstance(version.get("comment"), dict):
            version["comment"], gone = without_person(version["comment"])
            erased |= gone
    identities = json.loads(fields.get("identities") or "{}")
    author = fields.get("author") or identities.get("author") or ""
    author_index = keys.pending_for_author(site_id, author) if author else None
    indexes = fields.get("indexes") or ""
    if indexes and author_index:
        indexes = dumps([index for index in json.loads(indexes) if index != author_index])
    return Erasure(dumps(data), dumps(earlier) if fields.get("earlier") else "", indexes, sorted(erased),
                   hashes=bool(author) or any(identities.values()), author_index=author_index)
