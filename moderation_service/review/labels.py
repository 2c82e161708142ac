"""Labelled examples collected while the service runs, in the project's training schema.

Moderator decisions, Akismet ``submit-spam``/``submit-ham`` and Perspective ``suggestscore`` all become
entries of one Redis stream; :meth:`LabelStore.export` writes them as JSONL that ``moderation-train``
reads (see :mod:`moderation_service.labels`).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from typing import Any

from marshmallow import ValidationError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from ..labels import LABELLED_COMMENT_FIELDS, LABELLED_EXAMPLE_SCHEMA, without_personal_fields
from . import keys
from .scripts import TRAIL
from .store import AUDIT_MAXLEN

EXPORT_BATCH = 1000
#: Examples kept per site (approximately: the stream is trimmed with ``MAXLEN ~``), the oldest dropped first.
LABELS_MAXLEN = 10_000_000


def labelled_example(
    content: str,
    labels: Mapping[str, int],
    *,
    source: str,
    labelled_by: str | None = None,
    comment: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build and validate one example; ``comment`` adds the comment's place (site, post, id, language), never
    its author (see :data:`~moderation_service.labels.LABELLED_COMMENT_FIELDS`)."""
    example = {
        **{k: v for k, v in (comment or {}).items() if k in LABELLED_COMMENT_FIELDS},
        "content": content,
        "labels": dict(labels),
        "source": source,
        "labelled_by": labelled_by,
        "labelled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    errors = LABELLED_EXAMPLE_SCHEMA.validate(example)
    if errors:
        raise ValidationError(errors)
    return example


# KEYS: the correction's mark, the site's label stream, then the marks of the corrections it replaces.
# ARGV: the mark's lifetime (s), stream maxlen, example, then the comment's record, its site's audit stream,
# audit maxlen, now, actor, the record's id, and the audit entry's ``after`` (JSON).
# The mark, the label and the comment's audit entry (when its record is kept: action ``correct``, before: its
# status) are written together or not at all: a retry after a lost reply adds nothing, and a retry after a
# failure writes the label.
ADD_ONCE = TRAIL + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 3, #KEYS do
  local entry = redis.call('GET', KEYS[i])
  if entry then
    if entry ~= '1' then redis.call('XDEL', KEYS[2], entry) end  -- '1': a mark from before it named its entry
    redis.call('DEL', KEYS[i])
  end
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'example', ARGV[3])
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
local status = redis.call('HGET', ARGV[4], 'status')
if status then
  remember(ARGV[5], ARGV[9], redis.call('XADD', ARGV[5], 'MAXLEN', '~', ARGV[6], '*', 'at', ARGV[7],
    'actor', ARGV[8], 'action', 'correct', 'item', ARGV[9], 'before', cjson.encode({status = status}),
    'after', ARGV[10]))
end
return 1
"""


# KEYS: the labels stream, then markers of corrections (see ADD_ONCE). ARGV: the comment's record ('' = write no
# audit entry), its site's audit stream, audit maxlen, now, actor, the record's id. Takes back each one kept; when
# one was, and the record is kept, the comment's audit says so (action ``withdraw_correction``, after: how many
# examples went), so its history does not end on a correction that no longer stands.
TAKE_BACK = TRAIL + """
local taken = 0
for i = 2, #KEYS do
  local entry = redis.call('GET', KEYS[i])
  if entry then
    if entry ~= '1' then taken = taken + redis.call('XDEL', KEYS[1], entry) end
    redis.call('DEL', KEYS[i])
  end
end
local status = taken > 0 and ARGV[1] ~= '' and redis.call('HGET', ARGV[1], 'status')
if status then
  remember(ARGV[2], ARGV[6], redis.call('XADD', ARGV[2], 'MAXLEN', '~', ARGV[3], '*', 'at', ARGV[4],
    'actor', ARGV[5], 'action', 'withdraw_correction', 'item', ARGV[6], 'before', cjson.encode({status = status}),
    'after', cjson.encode({withdrawn = taken})))
end
return taken
"""


class LabelStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._add_once = redis.register_script(ADD_ONCE)
        self._take_back = redis.register_script(TAKE_BACK)

    async def add(self, example: Mapping[str, Any], pipeline: Pipeline | None = None) -> None:
        """Append one example (built with :func:`labelled_example`) to its site's stream.

        With ``pipeline``, the write is only queued on it.
        """
        target = pipeline if pipeline is not None else self._redis
        stream = keys.labels(example.get("site_id") or keys.NO_SITE)
        command = target.xadd(stream, {"example": json.dumps(example, ensure_ascii=False)}, maxlen=LABELS_MAXLEN,
                              approximate=True)
        if pipeline is None:
            await command
        await self._redis.sadd(keys.sites(), example.get("site_id") or keys.NO_SITE)

    async def add_correction(self, example: Mapping[str, Any], record_id: str, action: str, ttl: int,
                             replaces: Sequence[str] = ()) -> bool:
        """Keep a blog's correction of the model's decision on a comment, once per comment and ``action`` (a
        name for the correction, with the comment's version: an edited comment's is another); a retry, even a
        concurrent one, adds nothing. The corrections named in ``replaces`` (the other actions on the same
        version), kept before, are taken back: the blog's last word counts (*Spam*, then *Not Spam*, leaves
        one example, not spam). False when it was kept before."""
        site_id, _, token = record_id.rpartition(":")
        stream = keys.labels(example.get("site_id") or keys.NO_SITE)
        markers = [keys.correction(site_id, token, name) for name in (action, *replaces)]
        # (the record and the audit stream share the markers' site, so the script stays on one slot)
        after = json.dumps({"labels": example["labels"], "source": example.get("source")}, ensure_ascii=False)
        added = await self._add_once(keys=[markers[0], stream, *markers[1:]],
                                     args=[ttl, LABELS_MAXLEN, json.dumps(example, ensure_ascii=False),
                                           keys.comment(site_id, token), keys.audit(site_id), AUDIT_MAXLEN,
                                           repr(time.time()), example.get("labelled_by") or "blog", record_id, after])
        await self._redis.sadd(keys.sites(), example.get("site_id") or keys.NO_SITE)
        return bool(added)

    async def take_back_corrections(self, site_id: str, record_id: str, names: Sequence[str], actor: str, *,
                                    audited: bool = True) -> int:
        """Take back the corrections ``names`` kept for a comment (see :meth:`add_correction`), when the blog's
        last word agrees with the comment's decision after all; returns how many examples went. ``actor`` (the
        blog's key) is named in the comment's audit entry when one went. ``audited=False``: no audit entry,
        for a label that gives way to the decision's on the blog's same word (nothing the blog took back)."""
        _, _, token = record_id.rpartition(":")
        markers = [keys.correction(site_id, token, name) for name in names]
        record = keys.comment(site_id, token) if audited else ""
        return int(await self._take_back(keys=[keys.labels(site_id), *markers],
                                         args=[record, keys.audit(site_id), AUDIT_MAXLEN,
                                               repr(time.time()), actor, record_id]))

    async def sites(self) -> list[str]:
        """Every site that sent a comment (and ``_`` when examples without a site were stored)."""
        return sorted(await self._redis.smembers(keys.sites()))

    async def count(self) -> int:
        return sum([int(await self._redis.xlen(keys.labels(site))) for site in await self.sites()])

    async def examples(self, site_id: str | None = None, since: str = "-") -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The examples of one site (or of all, site by site), oldest first, with their stream ids.

        ``since`` (with one site) starts after that stream id.
        """
        for site in [site_id] if site_id else await self.sites():
            start = since if since == "-" else f"({since}"
            while True:
                batch = await self._redis.xrange(keys.labels(site), min=start, max="+", count=EXPORT_BATCH)
                for entry_id, fields in batch:
                    yield entry_id, without_personal_fields(json.loads(fields["example"]))
                if len(batch) < EXPORT_BATCH:
                    break
                start = f"({batch[-1][0]}"

    async def delete_about(self, site_id: str, comment_id: str | None = None, contents: Collection[str] = (),
                           *, any_id: bool = False) -> int:
        """Delete the site's examples of one comment: those with its ``comment_id``, and those with one of its
        ``contents`` that name no comment id (Akismet, Perspective feedback), or any id with ``any_id`` (an
        operator erasing a text wherever it was labelled). Walks the site's whole stream; returns how many
        were deleted."""
        stream, start, deleted = keys.labels(site_id), "-", 0
        while batch := await self._redis.xrange(stream, min=start, max="+", count=EXPORT_BATCH):
            doomed = []
            for entry_id, fields in batch:
                example = json.loads(fields["example"])
                named = example.get("comment_id")
                if (comment_id and named == comment_id) or (
                        example.get("content") in contents and (any_id or not named)):
                    doomed.append(entry_id)
            if doomed:
                deleted += int(await self._redis.xdel(stream, *doomed))
            if len(batch) < EXPORT_BATCH:
                break
            start = f"({batch[-1][0]}"
        return deleted
