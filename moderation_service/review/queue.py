"""The review queue: claiming with leases, deciding, bulk decisions, listings and statistics.

Every state change is one Lua script on one site's keys (see :mod:`.scripts`), so under any concurrency
an item is handed to one moderator at a time and decided once; a lease that ends returns the item.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

from redis.asyncio import Redis

from ..comments import Record, Status, split_public_id
from ..exceptions import Conflict, InvalidFields, NotFound
from ..labels import LABELLED_COMMENT_FIELDS
from ..model.attributes import TOXICITY_FAMILY
from ..sites import Sites
from . import keys, scripts
from .erasure import ERASE, erasure
from .labels import LABELS_MAXLEN
from .store import AUDIT_MAXLEN, from_fields, pairs, queue_indexes, reason_names

LABELLED_FIELDS_JSON = json.dumps(LABELLED_COMMENT_FIELDS)


class Action(str, Enum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"


RESULT_STATUS = {Action.APPROVE: Status.APPROVED, Action.REJECT: Status.REJECTED, Action.SPAM: Status.SPAM}
AUTHOR_COUNTER = {Action.APPROVE: "approved", Action.REJECT: "rejected", Action.SPAM: "spam"}


class Order(str, Enum):
    OLDEST = "oldest"
    RISK = "risk"


def training_labels(action: Action, categories: Sequence[str]) -> dict[str, int]:
    """What a decision teaches the model.

    approve: not spam; not toxic unless categories are given (then those apply). reject: not spam, toxic,
    plus the categories. spam: spam (toxicity unknown).
    """
    if action is Action.SPAM:
        return {"spam": 1}
    labels = {"spam": 0, "toxicity": int(action is Action.REJECT or bool(categories))}
    labels.update({category: 1 for category in categories})
    return labels


@dataclass(frozen=True)
class Item:
    """A comment as the moderators see it: the record plus claim, decision and author history."""

    record: Record
    claimed_by: str | None = None
    claim_expires: float | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    decision_action: str | None = None
    decision_note: str | None = None
    decision_categories: list[str] = field(default_factory=list)
    author_history: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: Sequence[Sequence[str]]) -> Item:
        """From a script's item state: the flat hash fields and the flat author history."""
        return cls.from_hash(pairs(state[0]), pairs(state[1]))

    @classmethod
    def from_hash(cls, data: Mapping[str, str], history: Mapping[str, str] | None = None) -> Item:
        return cls(
            record=from_fields(data),
            claimed_by=data.get("claimed_by"),
            claim_expires=float(data["claim_expires"]) if data.get("claim_expires") else None,
            decided_by=data.get("decided_by"),
            decided_at=float(data["decided_at"]) if data.get("decided_at") else None,
            decision_action=data.get("decision_action"),
            decision_note=data.get("decision_note") or None,
            decision_categories=json.loads(data.get("decision_categories") or "[]"),
            author_history={k: int(v) for k, v in (history or {}).items()},
        )


class Cursor(NamedTuple):
    """Where a page of a listing ended: the last item's score in its order (arrival time or risk) and its id.
    The next page starts after it, however many items before it left the queue meanwhile."""

    score: float
    id: str


class Depth(NamedTuple):
    pending: int
    claimed: int
    #: None while nothing waits.
    oldest_age_seconds: float | None


@dataclass(frozen=True)
class Failure:
    """Why an operation on one item was refused (for bulk results)."""

    id: str
    error: Conflict | NotFound


STATUS_WORDS = {"published": "published", "spam": "marked spam"}


def _refusal(item_id: str, reply: Sequence[str]) -> Conflict | NotFound:
    code = reply[0]
    if code == "not_found":
        return NotFound(f"No review item '{item_id}'.")
    if code == "already_decided":
        by = f" by {reply[2]}" if len(reply) > 2 and reply[2] else ""
        error = Conflict(f"'{item_id}' was already decided ({reply[1]}{by}); nothing was changed.")
    elif code == "claimed_by_other":
        error = Conflict(f"'{item_id}' is claimed by {reply[1]}; claim another item or wait until it is released.")
    elif code == "edited":
        when = (f"is at revision {reply[1]}, not the revision {reply[2]} you decided on" if len(reply) > 2
                else f"was edited after you claimed it (it is now revision {reply[1]})")
        error = Conflict(f"'{item_id}' {when}; nothing was changed. Claim it again "
                         f"(POST /v1/review/items/{item_id}/claim) to read the new text, then decide.")
    elif code == "reviewed_elsewhere":
        error = Conflict(f"'{item_id}' is held for review in the comment system (its site's review is "
                         "\"elsewhere\"), not here; decide it there.")
    elif code == "not_decided":
        error = Conflict(f"'{item_id}' waits for review; there is no decision to reopen.")
    elif code in ("decided_by_model", "not_reopenable"):
        edited = (f" after the blog sent an edited version (revision {reply[2]})"
                  if len(reply) > 2 and reply[2] not in ("1", 1) else "")
        done = f"'{item_id}' was {STATUS_WORDS.get(reply[1], reply[1])} by the model{edited}, not by a moderator"
        error = Conflict(f"{done}: it does not wait for review; nothing was changed." if code == "decided_by_model"
                         else f"{done}: only a moderator's decision can be reopened.")
    elif code == "changed":
        error = Conflict(f"'{item_id}' was reopened or decided again meanwhile; nothing was changed. Read it again "
                         f"(GET /v1/review/items/{item_id}).")
    elif code == "not_claimed":
        error = Conflict(f"You do not hold '{item_id}'; claim it first (POST /v1/review/items/{item_id}/claim).")
    else:  # lease_expired
        error = Conflict(f"Your claim on '{item_id}' expired; claim it again before deciding.")
    error.code = code
    return error


#: How long a process applying the blog's decision kept for a record that has just arrived holds it (see
#: :meth:`ReviewQueue.settle_decision`): the blog's next word about the comment waits at most this long.
SETTLE_LEASE_SECONDS = 5.0

#: How long a process may hold a one-off migration before another takes it over (renewed as it works).
MIGRATION_LEASE_SECONDS = 120


class ReviewQueue:
    def __init__(self, redis: Redis, sites: Sites, retention_seconds: int, lease_seconds: float = 300) -> None:
        self._redis = redis
        self._sites = sites
        self._retention = retention_seconds
        self.lease_seconds = lease_seconds
        self._claim_next = redis.register_script(scripts.CLAIM_NEXT)
        self._claim_item = redis.register_script(scripts.CLAIM_ITEM)
        self._release = redis.register_script(scripts.RELEASE)
        self._decide = redis.register_script(scripts.DECIDE)
        self._reopen = redis.register_script(scripts.REOPEN)
        self._delete = redis.register_script(scripts.DELETE)
        self._keep_decision = redis.register_script(scripts.KEEP_DECISION)
        self._forget_decision = redis.register_script(scripts.FORGET_DECISION)
        self._settle_decision = redis.register_script(scripts.SETTLE_DECISION)
        self._supersede_decision = redis.register_script(scripts.SUPERSEDE_DECISION)
        self._erase = redis.register_script(ERASE)
        self._item = redis.register_script(scripts.ITEM)
        self._select = redis.register_script(scripts.SELECT)
        self._free_head = redis.register_script(scripts.FREE_HEAD)

    # ------------------------------------------------------------ reading

    async def expire_author_history(self) -> int | None:
        """Once per Redis: give an expiry to the authors' histories stored before they had one (2026-11-28), as
        reputation's (they are personal data, if keyed). Returns how many were given one, 0 when it was done
        before, None when another process is at it (ask again later)."""
        marker = keys.migrated("author-history-ttl")
        if await self._redis.get(marker) == "done":
            return 0
        # a lease, renewed as the work goes on: a process stopped midway leaves it to another within minutes
        if not await self._redis.set(marker, "running", nx=True, ex=MIGRATION_LEASE_SECONDS):
            return None
        given = 0
        for site_id in await self.known_sites():
            ttl = self._sites.signals_for(site_id).reputation_ttl_days * 86400
            async for key in self._redis.scan_iter(match=keys.author(site_id, "*"), count=500):
                if await self._redis.ttl(key) == -1:
                    given += await self._redis.expire(key, ttl)
                    if given % 1000 == 0:
                        await self._redis.expire(marker, MIGRATION_LEASE_SECONDS)
        await self._redis.set(marker, "done")
        return given

    async def known_sites(self) -> list[str]:
        return sorted(s for s in await self._redis.smembers(keys.sites()) if s != keys.NO_SITE)

    async def has_reason(self, site_id: str, reason: str) -> bool:
        """Whether comments of the site were held for ``reason`` (a score or signal name) since it has a queue."""
        return bool(await self._redis.sismember(keys.reasons_index(site_id), reason))

    async def item(self, item_id: str) -> Item:
        site_id, token = self._parts(item_id)
        state = await self._item(keys=[keys.comment(site_id, token)], args=[keys.author(site_id, "")])
        if not state[0]:
            raise NotFound(f"No review item '{item_id}': it was never held, or its record expired.")
        return Item.from_state(state)

    def _selection(self, site_id: str, order: Order, post: str | None, reason: str | None,
                   author: str | None = None) -> tuple[list[str], str]:
        """The keys a selection script reads (the index that gives the order, the scratch key, the further
        filters) and its direction.

        The order holds whatever the filters: with a post, a reason or an author (the keyed hash of an item's
        ``author_key``), their items in arrival or risk order. Oldest first, a filter's own index (scored by
        arrival time) gives the order.
        """
        filters = [keys.pending_for_post(site_id, post)] if post else []
        if reason:
            filters.append(keys.pending_for_reason(site_id, reason))
        if author:
            filters.append(keys.pending_for_author(site_id, author))
        if order is Order.RISK:
            return [keys.pending_by_risk(site_id), keys.selection(site_id), *filters], "desc"
        index, *filters = filters or [keys.pending(site_id)]
        return [index, keys.selection(site_id), *filters], "asc"

    async def pending(
        self, site_id: str, order: Order = Order.OLDEST, post: str | None = None, reason: str | None = None,
        limit: int = 50, offset: int = 0, *, author: str | None = None, after: Cursor | None = None,
    ) -> list[Item]:
        """Held items of one site in the chosen order, claimed or not (see :meth:`select`)."""
        found = await self.select(site_id, order, post, reason, limit, offset, author=author, after=after)
        return await self.items([item_id for item_id, _ in found])

    async def select(
        self, site_id: str, order: Order = Order.OLDEST, post: str | None = None, reason: str | None = None,
        limit: int = 50, offset: int = 0, *, author: str | None = None, after: Cursor | None = None,
    ) -> list[tuple[str, float]]:
        """The ids of held items of one site in the chosen order, with their score in it (arrival time or
        risk): from ``offset``, or after the cursor ``after`` (a score and an id of this order; ``offset`` is
        then not used), up to ``limit`` of them."""
        selection, direction = self._selection(site_id, order, post, reason, author)
        args: list[Any] = [direction, offset, offset + limit - 1]
        if after is not None:
            args = [direction, 0, limit - 1, repr(after.score), after.id]
        found = await self._select(keys=selection, args=args)
        return [(found[i], float(found[i + 1])) for i in range(0, len(found), 2)]

    async def items(self, item_ids: Sequence[str]) -> list[Item]:
        """The items with these ids, in this order, as far as they still wait (one decided or deleted since
        it was selected is left out)."""
        if not item_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for item_id in item_ids:
                site_id, token = self._parts(item_id)
                await self._item(keys=[keys.comment(site_id, token)], args=[keys.author(site_id, "")], client=pipe)
            states = await pipe.execute()
        items = [Item.from_state(state) for state in states if state[0]]
        return [item for item in items if item.record.status is Status.PENDING]

    # ------------------------------------------------------------ claiming

    def _lease(self, lease_seconds: float | None) -> tuple[float, float]:
        now = time.time()
        return now, now + (lease_seconds or self.lease_seconds)

    async def _free_heads(self, sites: Sequence[str], order: Order, post: str | None,
                          reason: str | None, author: str | None) -> dict[str, float]:
        """Each site's first free item's score (arrival time or risk), for the sites that have one."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for site_id in sites:
                selection, direction = self._selection(site_id, order, post, reason, author)
                await self._free_head(keys=selection, args=[direction, keys.comment(site_id, ""), repr(time.time())],
                                      client=pipe)
            heads = await pipe.execute()
        return {site_id: float(head) for site_id, head in zip(sites, heads) if head is not None}

    async def claim_next(
        self, moderator: str, sites: Sequence[str], count: int = 1, order: Order = Order.OLDEST,
        post: str | None = None, reason: str | None = None, lease_seconds: float | None = None, *,
        author: str | None = None,
    ) -> list[Item]:
        """Claim up to ``count`` free items across ``sites`` in the chosen order, as if their queues were one.

        Each round claims from the site with the best free item, up to the next site's best one.
        """
        claimed: list[Item] = []
        open_sites = list(dict.fromkeys(sites))
        while len(claimed) < count and open_sites:
            site_id, bound = open_sites[0], ""  # one site: no other head to stop at
            if len(open_sites) > 1:
                heads = await self._free_heads(open_sites, order, post, reason, author)
                open_sites = sorted(heads, key=heads.__getitem__, reverse=order is Order.RISK)
                if not open_sites:
                    break
                site_id = open_sites[0]
                bound = repr(heads[open_sites[1]]) if len(open_sites) > 1 else ""
            (index, scratch, *filters), direction = self._selection(site_id, order, post, reason, author)
            now, until = self._lease(lease_seconds)
            ended, got = await self._claim_next(
                keys=[index, keys.claims(site_id), keys.audit(site_id), scratch, *filters],
                args=[moderator, count - len(claimed), repr(now), repr(until), keys.comment(site_id, ""), direction,
                      AUDIT_MAXLEN, keys.author(site_id, ""), bound],
            )
            claimed += [Item.from_state(state) for state in got]
            if ended:
                open_sites.remove(site_id)
        return claimed

    async def claim(self, item_id: str, moderator: str, lease_seconds: float | None = None) -> Item:
        """Claim one item, or renew the lease on an item the moderator already holds."""
        site_id, token = self._parts(item_id)
        now, until = self._lease(lease_seconds)
        reply = await self._claim_item(
            keys=[keys.comment(site_id, token), keys.claims(site_id), keys.audit(site_id)],
            args=[moderator, repr(now), repr(until), item_id, AUDIT_MAXLEN, keys.comment(site_id, ""),
                  keys.author(site_id, "")],
        )
        if reply[0] != "ok":
            raise _refusal(item_id, reply)
        return Item.from_state(reply[2])

    async def release(self, item_id: str, moderator: str) -> Item:
        site_id, token = self._parts(item_id)
        reply = await self._release(
            keys=[keys.comment(site_id, token), keys.claims(site_id), keys.audit(site_id)],
            args=[moderator, repr(time.time()), item_id, AUDIT_MAXLEN, keys.author(site_id, "")],
        )
        if reply[0] != "ok":
            raise _refusal(item_id, reply)
        return Item.from_state(reply[1])

    # ------------------------------------------------------------ deciding

    async def decide(
        self, item_id: str, moderator: str, action: Action, categories: Sequence[str] = (), note: str = "",
        *, by_blog: str | None = None, labels: Mapping[str, int] | None = None, revision: int | None = None,
    ) -> Item:
        """Decide an item the moderator holds: status, audit entry, label and webhook delivery, all at once.

        ``by_blog``: the protocol through which the blog reported its own decision (``"akismet"``): no claim is
        needed and a moderator's gives way, the label's source is the protocol, and the blog is not told.
        ``labels``: what the decision teaches, when the report says less than the action does (Akismet's
        "not spam" says nothing of toxicity); by default :func:`training_labels`. ``revision``: the one the
        moderator read; the decision is refused (``edited``) when the comment is at another one."""
        unknown = sorted(set(categories) - set(TOXICITY_FAMILY))
        if unknown:
            raise InvalidFields("Unknown categories.",
                                fields={"categories": [f"Use only {', '.join(TOXICITY_FAMILY)}."]})
        site_id, token = self._parts(item_id)
        now = time.time()
        status = RESULT_STATUS[action]
        delivery_id = secrets.token_hex(8) if self._sites.get(site_id).hears_decisions and not by_blog else ""
        reply = await self._decide(
            keys=[keys.comment(site_id, token), keys.claims(site_id), keys.audit(site_id), keys.labels(site_id),
                  keys.decisions_per_day(site_id, time.strftime("%Y-%m-%d", time.gmtime(now))),
                  keys.outbox_due(site_id), keys.deliveries(site_id)],
            args=[item_id, moderator, repr(now), status.value, action.value, note, json.dumps(list(categories)),
                  json.dumps(dict(labels) if labels is not None else training_labels(action, categories)),
                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                  self._retention, AUTHOR_COUNTER[action], delivery_id, AUDIT_MAXLEN, LABELS_MAXLEN,
                  keys.author(site_id, ""), keys.delivery(site_id, ""), keys.reputation_prefix(site_id),
                  self._sites.signals_for(site_id).reputation_ttl_days * 86400, LABELLED_FIELDS_JSON,
                  by_blog or "moderator", "" if revision is None else str(revision)],
        )
        if reply[0] != "ok":
            raise _refusal(item_id, reply)
        return Item.from_state(reply[1])

    async def decide_many(
        self, item_ids: Sequence[str], moderator: str, action: Action, categories: Sequence[str] = (),
        note: str = "", revisions: Mapping[str, int] | None = None,
    ) -> list[Item | Failure]:
        """Bulk decision: each item is decided on its own (atomically); refusals are reported per item.
        ``revisions``: item id -> the revision the moderator read (see :meth:`decide`)."""
        results: list[Item | Failure] = []
        for item_id in item_ids:
            try:
                results.append(await self.decide(item_id, moderator, action, categories, note,
                                                 revision=(revisions or {}).get(item_id)))
            except (Conflict, NotFound) as exc:
                results.append(Failure(item_id, exc))
        return results

    async def reopen(self, item_id: str, moderator: str, lease_seconds: float | None = None,
                     decided_at: float | None = None, *, by_blog: bool = False) -> Item:
        """Take a moderator's decision back: the item waits again, claimed by ``moderator``; its label, counts,
        reputation and a webhook delivery not yet made are taken back, and the blog hears that it waits.

        ``decided_at``: only the decision taken then (as answered, to the millisecond), not a later one.
        ``by_blog``: the blog takes back a decision of its own (its admin restored a comment they had put in
        the trash): nobody holds the item, and the blog, which did it, is not told."""
        site_id, token = self._parts(item_id)
        item = await self.item(item_id)
        if item.record.status is Status.PENDING:
            raise _refusal(item_id, ["not_decided"])
        if not item.decided_by:
            raise _refusal(item_id, ["not_reopenable", item.record.status.value, str(item.record.revision)])
        if not item.record.queued and not by_blog:
            raise _refusal(item_id, ["reviewed_elsewhere"])
        if decided_at is not None and abs((item.decided_at or 0) - decided_at) > 0.001:
            raise _refusal(item_id, ["changed"])
        # (a comment reviewed elsewhere, taken back by the blog, waits in no queue here, as it did at first)
        indexes = queue_indexes(item.record) if item.record.queued else []
        reasons = reason_names(item.record) if item.record.queued else []
        now, until = self._lease(lease_seconds)
        if by_blog:
            until = 0.0
        delivery_id = secrets.token_hex(8) if self._sites.get(site_id).hears_decisions and not by_blog else ""
        reply = await self._reopen(
            keys=[keys.comment(site_id, token), keys.claims(site_id), keys.audit(site_id), keys.labels(site_id),
                  keys.reasons_index(site_id), keys.outbox_due(site_id), keys.deliveries(site_id),
                  *[key for key, _ in indexes]],
            args=[item_id, moderator, repr(now), repr(until) if until else "0", AUDIT_MAXLEN, repr(item.decided_at),
                  keys.author(site_id, ""), keys.reputation_prefix(site_id), delivery_id, keys.delivery(site_id, ""),
                  len(indexes), *[repr(score) for _, score in indexes], len(reasons), *reasons],
        )
        if reply[0] != "ok":
            raise _refusal(item_id, reply)
        return Item.from_state(reply[1])

    async def delete(self, item_id: str, actor: str) -> Record:
        """The blog deleted the comment: remove its record from Redis and from the queue (claims included), and
        cancel the webhook deliveries still owed about it. The deletion is marked, found or not, for the
        retention time, so that a record of the comment received before it and delivered from a spool later
        stays out; a decision of the blog's own kept for it (see :meth:`keep_decision`) goes. Returns the record
        as it was; labels are not touched (see :meth:`LabelStore.delete_about`).

        :raises NotFound: no record in Redis (never submitted, deleted, expired, or waiting in a spool)."""
        site_id, token = self._parts(item_id)
        item = keys.comment(site_id, token)
        reply = await self._delete(
            keys=[item, keys.claims(site_id), keys.audit(site_id), keys.outbox_due(site_id), keys.deleted(item),
                  keys.kept_decision(item)],
            args=[item_id, actor, repr(time.time()), AUDIT_MAXLEN, keys.delivery(site_id, ""), self._retention])
        if reply[0] != "ok":
            raise NotFound(f"No comment '{item_id}': it was never submitted, was deleted, or its record expired.")
        return from_fields(pairs(reply[1]))

    async def keep_decision(self, item_id: str, decision: Mapping[str, str]) -> str:
        """Keep a decision of the blog's own (its fields, ``at`` among them) about a comment that has no record
        in Redis, for the retention time, in place of one kept before (unless that one was received after it:
        two requests raced); the store applies it when the record arrives (see :class:`~.store.CommentStore`);
        the ``labels_kept`` of the one replaced are added to its own (or its own to the one that stays). Returns
        ``kept``, ``exists`` (the record is there after all: decide it) or ``deleted`` (made no later than the
        blog deleted the comment: nothing to decide; a decision made after a deletion is kept, for a copy of the
        comment the blog sent again since)."""
        site_id, token = self._parts(item_id)
        item = keys.comment(site_id, token)
        return str(await self._keep_decision(
            keys=[keys.kept_decision(item), item, keys.deleted(item)],
            args=[self._retention, decision["at"], *[part for pair in decision.items() for part in pair]]))

    async def settle_decision(self, item_id: str) -> dict[str, str]:
        """The comment's record has arrived: the blog's decision kept for it now, to apply (the one the record
        found, or the blog's later word kept in its place since, see :meth:`supersede_decision`); none when
        there is none, or the blog took it back. Returned, it is held (``applying``: the lease) for
        :data:`SETTLE_LEASE_SECONDS`, or until it is forgotten: the blog's next word waits meanwhile, so that it
        is applied after it, not overridden by it."""
        site_id, token = self._parts(item_id)
        return pairs(await self._settle_decision(keys=[keys.kept_decision(keys.comment(site_id, token))],
                                                 args=[repr(time.time() + SETTLE_LEASE_SECONDS)]))

    async def supersede_decision(self, item_id: str, word: Mapping[str, str] | None = None) -> float | None:
        """The blog's next word on the comment is about to be applied: the decision kept for it before is not to
        be applied after it (see :meth:`settle_decision`). The word (its fields: a decision) is kept in its
        place, to be applied when the record is delivered again should the caller not get to apply it; a
        take-back (``None``) marks it ``superseded``. Nothing is kept when no decision was kept for the comment.
        Returns until when one is being applied now (the word waits for it, see :meth:`settling_until`), else
        None."""
        site_id, token = self._parts(item_id)
        fields = [part for pair in (word or {}).items() for part in pair]
        until = await self._supersede_decision(keys=[keys.kept_decision(keys.comment(site_id, token))],
                                               args=[repr(time.time()), self._retention, *fields])
        return float(until) if until else None

    async def settling_until(self, item_id: str) -> float | None:
        """Until when the blog's decision kept for the comment is held by the caller applying it, if it is."""
        site_id, token = self._parts(item_id)
        until = await self._redis.hget(keys.kept_decision(keys.comment(site_id, token)), "applying")
        return float(until) if until else None

    async def forget_decision(self, item_id: str, at: str = "", lease: str = "", taken_back: str = "",
                              by: str = "") -> dict[str, str]:
        """Forget the blog's decision kept for a comment: the one made at ``at`` (applied), or whichever
        (``""``: the blog took it back). Returns its fields; none when there was none, or another replaced it
        (that one stays, and ``lease``, the caller's hold on the one it applied, see :meth:`settle_decision`,
        ends). ``taken_back``: when the service received the blog's take-back (by ``by``) of a comment with no
        record here; a mark of it is kept in the decision's place for the retention time (``taken_back``: nothing
        to apply), so that an older word reaching Redis later is not kept, and a word received after it stays."""
        site_id, token = self._parts(item_id)
        return pairs(await self._forget_decision(keys=[keys.kept_decision(keys.comment(site_id, token))],
                                                 args=[at, lease, taken_back, self._retention, by]))


    #: How often an erasure reads the record again when it changed between reading and writing (an edit, a
    #: decision at that moment).
    ERASE_ATTEMPTS = 5

    async def erase_personal_data(self, item_id: str, actor: str, *, mark: bool = True) -> tuple[Item, list[str]]:
        """Erase the author's personal data from the record (see :mod:`.erasure`): the item as it is now, and
        the names of the comment's fields erased now (none when it was done before: a repeat changes nothing).
        The request is marked first (``mark``), found or not, for the retention time: a version of the comment
        received before it that reaches Redis later (from a spool) is erased as it is stored (see the store).

        :raises NotFound: no record in Redis (never submitted, deleted, expired, or waiting in a spool)."""
        site_id, token = self._parts(item_id)
        item = keys.comment(site_id, token)
        if mark:  # before the record is read: one stored meanwhile finds the mark
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(keys.erased(item), mapping={"at": repr(time.time()), "by": actor})
                pipe.expire(keys.erased(item), self._retention)
                await pipe.execute()
        for _ in range(self.ERASE_ATTEMPTS):
            fields = await self._redis.hgetall(item)
            if not fields:
                break
            erased = erasure(site_id, fields)
            if not erased.needed and fields.get("erased_at"):
                return Item.from_state(await self._item(keys=[item], args=[keys.author(site_id, "")])), []
            reply = await self._erase(
                keys=[item, keys.audit(site_id), erased.author_index or keys.nothing(site_id)],
                args=[item_id, actor, repr(time.time()), AUDIT_MAXLEN, fields["data"], fields.get("earlier", ""),
                      fields.get("indexes", ""), erased.data, erased.earlier, erased.indexes,
                      json.dumps(erased.erased_fields), keys.author(site_id, ""), keys.reputation_prefix(site_id)])
            if reply[0] == "ok":
                return Item.from_state(reply[2]), erased.erased_fields
            if reply[0] == "not_found":
                break
        else:
            raise Conflict(f"'{item_id}' kept changing while its author's data was erased; nothing was changed. "
                           "Send the erasure again.")
        raise NotFound(f"No comment '{item_id}': it was never submitted, was deleted, or its record expired.")

    async def erase_arrived(self, item_id: str, actor: str) -> Record | None:
        """Erase the author's data from a record that reached Redis after ``actor`` asked for it (the store's
        :attr:`~.store.CommentStore.erase`): the record as it stands then, None when it is gone meanwhile."""
        try:
            item, _ = await self.erase_personal_data(item_id, actor, mark=False)
        except NotFound:
            return None
        return item.record

    # ------------------------------------------------------------ statistics and audit

    async def depths(self, sites: Sequence[str]) -> dict[str, Depth]:
        """How much waits in each site's queue now: one round trip for all the sites."""
        now = time.time()
        pipe = self._redis.pipeline(transaction=False)
        for site_id in sites:
            pipe.zcard(keys.pending(site_id))
            pipe.zcount(keys.claims(site_id), now, "+inf")
            pipe.zrange(keys.pending(site_id), 0, 0, withscores=True)
        replies = await pipe.execute()
        return {site_id: Depth(pending, claimed, round(now - oldest[0][1], 1) if oldest else None)
                for site_id, pending, claimed, oldest in zip(sites, replies[::3], replies[1::3], replies[2::3])}

    async def stats(self, sites: Sequence[str]) -> dict[str, Any]:
        today = time.strftime("%Y-%m-%d", time.gmtime())
        depths = await self.depths(sites)
        report: dict[str, Any] = {}
        for site_id in sites:
            reasons = sorted(await self._redis.smembers(keys.reasons_index(site_id)))
            by_reason = {r: await self._redis.zcard(keys.pending_for_reason(site_id, r)) for r in reasons}
            report[site_id] = {
                "pending": depths[site_id].pending,
                "claimed": depths[site_id].claimed,
                "pending_by_reason": {r: n for r, n in by_reason.items() if n},
                "oldest_age_seconds": depths[site_id].oldest_age_seconds,
                "decisions_today": {k: int(v) for k, v in
                                    (await self._redis.hgetall(keys.decisions_per_day(site_id, today))).items()},
            }
        return report

    async def decisions_per_day(self, site_id: str, days: int = 7) -> dict[str, dict[str, int]]:
        now = time.time()
        result = {}
        for back in range(days):
            day = time.strftime("%Y-%m-%d", time.gmtime(now - back * 86400))
            counts = await self._redis.hgetall(keys.decisions_per_day(site_id, day))
            result[day] = {k: int(v) for k, v in counts.items()}
        return result

    async def audit(self, site_id: str, count: int = 100, before: str = "+") -> list[dict[str, Any]]:
        """Up to ``count`` audit entries, newest first, from ``before``: ``+`` (the newest), an entry id (the
        entries older than it: the last id of one page gives the next page), or a time in milliseconds (the
        entries older than it)."""
        if before == "+":
            newest = "+"
        elif "-" in before:
            if all(int(part) == 0 for part in before.split("-")):
                return []  # nothing is older than 0-0 (and Redis refuses the range)
            newest = f"({before}"
        elif int(before) > 0:
            newest = str(int(before) - 1)
        else:
            return []
        entries = await self._redis.xrevrange(keys.audit(site_id), max=newest, min="-", count=count)
        return [{"entry": entry_id, **fields} for entry_id, fields in entries]

    async def history(self, item_id: str) -> list[dict[str, Any]]:
        """One item's audit entries, oldest first (those written since items kept their own trail, 2026-11-28,
        and still in the site's stream). NotFound when neither the item nor a trail of it exists."""
        site_id, token = self._parts(item_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.lrange(keys.item_audit(site_id, token), 0, -1)
            pipe.exists(keys.comment(site_id, token))
            trail, exists = await pipe.execute()
        if not trail and not exists:
            raise NotFound(f"No review item '{item_id}': it was never held, was deleted, or its record expired "
                           f"(the site's audit log keeps its entries: GET /v1/review/audit?site_id={site_id}).")
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry_id in trail:
                pipe.xrange(keys.audit(site_id), min=entry_id, max=entry_id)
            found = await pipe.execute()
        return [{"entry": entry_id, **fields} for entries in found for entry_id, fields in entries]

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _parts(item_id: str) -> tuple[str, str]:
        parts = split_public_id(item_id)
        if parts is None:
            raise NotFound(f"'{item_id}' is not an item id (they look like 'site:abcdefgh23456789').")
        return parts
