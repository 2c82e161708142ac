"""Comment records in Redis: written once, atomically with their place in the review queue."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from redis.asyncio import Redis

from ..comments import Comment, Record, Status, split_public_id
from ..jsonfast import dumps
from ..policy import Decision
from . import keys
from .batching import Batcher, Script
from .scripts import TRAIL, TYPE_CHECK

# The blog's own id for a record it sent without one; the first one stays (two comments that read alike are
# one record). KEYS: the record. ARGV: the id. Returns 0 for no record, 1 linked (now or before), 2 linked
# to another id.
LINK = Script("""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local linked = redis.call('HGET', KEYS[1], 'blog_comment_id')
if linked and linked ~= ARGV[1] then return 2 end
redis.call('HSET', KEYS[1], 'blog_comment_id', ARGV[1])
return 1
""")

# Write a record; a comment stored before is either answered as stored (a retry) or replaced (an edit).
# KEYS: comment hash, the site's set of reason names, claims, audit, the comment's deletion mark, the blog's
#       decision kept for it, then the queue indexes a held comment joins.
# ARGV: ttl (0 = keep), id, version (see Comment.version), received_at, audit maxlen, n indexes, n scores,
#       m reason names, m names, then the hash's field/value pairs.
# Returns {0, '', kept, erase} for a new comment, {1, stored hash, kept, erase} for a retry, {2, revision, kept,
# erase} for an edit,
# {3} for a version received no later than the blog deleted the comment (see the queue's DELETE script): not
# stored, so that a record delivered from a spool after the deletion does not bring the comment back.
# ``kept``: the fields of the blog's decision kept while the comment had no record in Redis (see the queue's
# KEEP_DECISION script) when it is about the version now stored: one received no later than the decision was
# made (it waited in a spool), or the very version the blog decided (sent again since); else {}. The caller
# applies it (a retry gives it again, so a process that stopped before applying it leaves nothing undone); a
# version received after the decision, and another text, is judged as it is.
# ``erase``: who asked to erase the author's personal data (keys.erased, read as ``<comment hash>:erased``) after
# the version now stored was received, unless that version is erased already; else ''. The caller erases it
# (a retry gives it again, as ``kept``), so that a version that waited in a spool does not bring the person back.
#
# A retry is the same version, or one received no later than the stored one (a spool replaying an older
# version late must not undo an edit); a record kept before versions were stored counts as the same.
# An edit leaves the queue indexes of the version it replaces, keeps that version's text, scores and fate
# in ``earlier`` (newest first, at most 20), and is decided afresh; a moderator's claim stays on an edit
# that is held again (their decision is refused until they have claimed it again, and so seen the new text:
# ``claim_revision``) and ends with one that is not. An edit after the author's data was erased holds what the blog
# sent now: it is no longer marked erased (its earlier versions stay erased).
# All or nothing: a key of the wrong type (edited by hand) is found before anything is written, since a
# comment stored but not queued would look stored to every retry and never reach a moderator.
RECORD = Script(TYPE_CHECK + TRAIL + """
local id, n = ARGV[2], tonumber(ARGV[6])
local m = tonumber(ARGV[7 + n])
local deleted = redis.call('GET', KEYS[5])
if deleted and tonumber(deleted) >= tonumber(ARGV[4]) then return {3} end
-- the blog's decision kept for this comment, if it is about the version received at ``received_at``
local function kept_for(received_at, version)
  local kept = redis.call('HGETALL', KEYS[6])
  local decision = {}
  for i = 1, #kept, 2 do decision[kept[i]] = kept[i + 1] end
  if #kept > 0 and (tonumber(received_at) <= tonumber(decision.at) or decision.version == version) then
    return kept
  end
  return {}
end
-- who asked to erase the author's data after the version received at ``received_at`` was, or ''
local function erase_for(received_at)
  local at, by = unpack(redis.call('HMGET', KEYS[1] .. ':erased', 'at', 'by'))
  if at and tonumber(received_at) <= tonumber(at) then return by or '' end
  return ''
end
local existing = redis.call('HGETALL', KEYS[1])
local old
if #existing > 0 then
  old = {}
  for i = 1, #existing, 2 do old[existing[i]] = existing[i + 1] end
  if not old.version or old.version == ARGV[3] or tonumber(old.received_at) >= tonumber(ARGV[4]) then
    return {1, existing, kept_for(old.received_at, old.version), old.erased_at and '' or erase_for(old.received_at)}
  end
end
if m > 0 then expect(KEYS[2], 'set') end
for i = 7, 6 + n do expect(KEYS[i], 'zset') end
if old then
  expect(KEYS[3], 'zset')
  expect(KEYS[4], 'stream')
end
if wrong then return redis.error_reply(wrong) end
local revision = 1
if old then
  revision = tonumber(old.revision or '1') + 1
  for _, index in ipairs(cjson.decode(old.indexes or '[]')) do redis.call('ZREM', index, id) end
  local data = cjson.decode(old.data)
  local earlier = cjson.decode(old.earlier or '[]')
  table.insert(earlier, 1, {
    revision = revision - 1, comment = data.comment, scores = data.scores, decision = old.decision,
    status = old.status, model_version = old.model_version, received_at = tonumber(old.received_at),
    decided_by = old.decided_by, decided_at = old.decided_at and tonumber(old.decided_at),
    action = old.decision_action, note = old.decision_note, categories = old.decision_categories})
  while #earlier > 20 do table.remove(earlier) end
  redis.call('HDEL', KEYS[1], 'indexes', 'decided_by', 'decided_at', 'decision_action', 'decision_note',
             'decision_categories', 'label_entry', 'decision_tally', 'delivery_id', 'erased_at')
  if n == 0 then
    redis.call('HDEL', KEYS[1], 'claimed_by', 'claim_expires', 'claim_revision')
    redis.call('ZREM', KEYS[3], id)
  elseif old.claimed_by and not old.claim_revision then
    redis.call('HSET', KEYS[1], 'claim_revision', revision - 1)
  end
  redis.call('HSET', KEYS[1], 'earlier', cjson.encode(earlier))
end
redis.call('HSET', KEYS[1], 'revision', revision, unpack(ARGV, 8 + n + m))
for i = 1, n do redis.call('ZADD', KEYS[6 + i], ARGV[6 + i], id) end
for i = 1, m do redis.call('SADD', KEYS[2], ARGV[7 + n + i]) end
if ARGV[1] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[1]) else redis.call('PERSIST', KEYS[1]) end
local kept, erase = kept_for(ARGV[4], ARGV[3]), erase_for(ARGV[4])
if not old then return {0, '', kept, erase} end
remember(KEYS[4], id, redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 'at', ARGV[4], 'actor', 'blog',
  'action', 'edit', 'item', id, 'before', cjson.encode({status = old.status, revision = revision - 1}),
  'after', cjson.encode({status = redis.call('HGET', KEYS[1], 'status'), revision = revision})))
return {2, revision, kept, erase}
""")

SITES_REFRESH_SECONDS = 60.0

#: Audit entries kept per site (approximately: the stream is trimmed with ``MAXLEN ~``).
AUDIT_MAXLEN = 1_000_000


class Stored(NamedTuple):
    """What storing a record did: the record as stored now, and whether it had been stored before as is; or
    nothing (``deleted``), because the blog deleted the comment after this version was received."""

    record: Record
    repeated: bool
    deleted: bool = False


#: Applies the blog's decision kept for a record that has just reached Redis (the kept decision's fields, see
#: the RECORD script) and gives the record as it stands then; raises one of ``REDIS_DOWN`` when it could not.
Settle = Callable[[Record, Mapping[str, str]], Awaitable[Record]]

#: Erases the author's personal data from a record that has just reached Redis, asked for (by the key named) after
#: its version was received (see the RECORD script), and gives the record as it stands then (None: it is gone);
#: raises one of ``REDIS_DOWN`` when it could not.
Erase = Callable[[str, str], Awaitable[Record | None]]


def reason_names(record: Record) -> list[str]:
    """The names of the scores and signals among a record's reasons: each held comment is indexed under them."""
    return sorted({reason["name"] for reason in record.reasons})


def queue_indexes(record: Record) -> list[tuple[str, float]]:
    """The sorted sets a held comment waits in, with its score in each: arrival, risk, post, author, reasons."""
    site_id, received = record.comment.site_id, record.received_at
    indexes = [(keys.pending(site_id), received), (keys.pending_by_risk(site_id), max(record.scores.values()))]
    post = record.comment.post_id or record.comment.permalink
    if post:
        indexes.append((keys.pending_for_post(site_id, post), received))
    author = record.identities.get("author")
    if author:
        indexes.append((keys.pending_for_author(site_id, author), received))
    reasons = reason_names(record)
    indexes += [(keys.pending_for_reason(site_id, name), received) for name in reasons]
    return indexes


def to_fields(record: Record) -> dict[str, str]:
    """The hash of a record: what scripts read or change as fields, everything else in one JSON document."""
    data = {
        "comment": record.comment.as_dict(),
        "scores": record.scores,
        "reasons": record.reasons,
        "thresholds": record.thresholds,
        "extra": record.extra,
    }
    fields = {
        "id": record.id,
        "status": record.status.value,
        "decision": record.decision.value,
        "model_version": record.model_version,
        "received_at": repr(record.received_at),
        # Keyed hashes (see moderation_service.identity): author history, and reputation after a spam verdict.
        "author": record.identities.get("author", ""),
        "version": record.version,
        "identities": dumps(record.identities),
        "data": dumps(data),
    }
    if record.queued:
        fields["indexes"] = json.dumps([key for key, _ in queue_indexes(record)])
    return fields


def from_fields(fields: Mapping[str, str]) -> Record:
    data = json.loads(fields["data"])
    return Record(
        id=fields["id"],
        comment=Comment(**data["comment"]),
        decision=Decision(fields["decision"]),
        status=Status(fields["status"]),
        scores=data["scores"],
        reasons=data["reasons"],
        model_version=fields["model_version"],
        thresholds=data["thresholds"],
        received_at=float(fields["received_at"]),
        extra=data["extra"],
        identities=json.loads(fields.get("identities") or "{}"),
        revision=int(fields.get("revision") or 1),
        earlier=json.loads(fields.get("earlier") or "[]"),
        blog_comment_id=fields.get("blog_comment_id") or None,
        personal_data_erased_at=float(fields["erased_at"]) if fields.get("erased_at") else None,
        stored_version=fields.get("version") or None,
    )


class CommentStore:
    """Records in Redis; writes from concurrent requests share round trips (see :mod:`.batching`)."""

    def __init__(self, redis: Redis, retention_seconds: int, batcher: Batcher | None = None, *,
                 settle: Settle | None = None, erase: Erase | None = None) -> None:
        self._redis = redis
        self._retention = retention_seconds
        self._batcher = batcher or Batcher(redis)
        #: site -> when this process last added it to the set of sites (again every minute, so that a Redis
        #: that lost its data, restarted without persistence, learns the sites anew).
        self._sites_registered: dict[str, float] = {}
        #: Applies a decision of the blog's own that waited in Redis for its record (the app gives
        #: :func:`moderation_service.api.blog_reports.settle_kept_decision`); without it such a decision waits on.
        self.settle = settle
        #: Erases the author's data from a record that arrives after the blog asked for it (the app gives
        #: :meth:`.queue.ReviewQueue.erase_arrived`); without it the record is stored as it came.
        self.erase = erase

    @property
    def redis(self) -> Redis:
        return self._redis

    @staticmethod
    def key_of(record_id: str) -> str:
        """The Redis key of the record with this id (``<site>:<token>``, as the service makes them)."""
        site_id, _, token = record_id.rpartition(":")
        return keys.comment(site_id, token)

    async def record(self, record: Record) -> Stored:
        """Store ``record``: a new comment, or an edit of one stored before (the record then carries its
        revision). A retry stores nothing and gives back the stored record. A version received no later than
        the blog deleted the comment stores nothing either (``deleted``): the comment stays deleted. A decision
        of the blog's own kept for this version while it had no record here (it waited in a spool) is applied
        (:attr:`settle`) before this returns, and the record is given as it stands then; it stays kept, and is
        applied on the next retry, when :attr:`settle` raises (Redis away: the caller keeps the record). So is an
        erasure of the author's data asked for after this version was received (:attr:`erase`, first)."""
        site_id = record.comment.site_id
        now = time.monotonic()
        if now - self._sites_registered.get(site_id, -SITES_REFRESH_SECONDS) >= SITES_REFRESH_SECONDS:
            await self._redis.sadd(keys.sites(), site_id)
            self._sites_registered[site_id] = now
        held = record.queued
        indexes = queue_indexes(record) if held else []
        reasons = reason_names(record) if held else []
        fields = to_fields(record)
        record_key = self.key_of(record.id)
        args: list[Any] = ["0" if held else str(self._retention), record.id, fields["version"],
                           repr(record.received_at), AUDIT_MAXLEN,
                           len(indexes), *[repr(score) for _, score in indexes], len(reasons), *reasons]
        for name, value in fields.items():
            args += (name, value)
        reply = await self._batcher.run(
            RECORD, [record_key, keys.reasons_index(site_id), keys.claims(site_id), keys.audit(site_id),
                     keys.deleted(record_key), keys.kept_decision(record_key), *[key for key, _ in indexes]], args)
        if reply[0] == 3:
            return Stored(record, repeated=False, deleted=True)
        if reply[0] == 1:
            stored = Stored(from_fields(pairs(reply[1])), repeated=True)
        elif reply[0] == 2:
            stored = Stored(replace(record, revision=int(reply[1])), repeated=False)
        else:
            stored = Stored(record, repeated=False)
        if reply[3] and self.erase is not None:  # before a kept decision counts for the person
            erased = await self.erase(record.id, _text(reply[3]))
            if erased is not None:
                stored = stored._replace(record=erased)
        if reply[2] and self.settle is not None:
            stored = stored._replace(record=await self.settle(stored.record, pairs(reply[2])))
        return stored

    async def link(self, public_id: str, blog_comment_id: str) -> str:
        """Note the blog's own id for a record it sent without one: ``linked`` (now or before), ``unknown`` (no
        such record) or ``linked_elsewhere`` (to another of the blog's comments, which stays)."""
        parts = split_public_id(public_id)
        if parts is None:
            return "unknown"
        linked = await self._batcher.run(LINK, [keys.comment(*parts)], [blog_comment_id])
        return ("unknown", "linked", "linked_elsewhere")[int(linked)]

    async def get(self, public_id: str) -> Record | None:
        parts = split_public_id(public_id)
        if parts is None:
            return None
        data = await self._redis.hgetall(keys.comment(*parts))
        return from_fields(_decode(data)) if data else None


def _decode(data: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in data.items()}


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def pairs(flat: list[bytes | str]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}
