"""The blog's reports of its own decisions, as each protocol makes them, and what becomes of them when the
comment has no record in Redis yet (it waits in a worker's spool while Redis is away for that worker): the
decision is kept in Redis and applied, by the same code, when the record arrives
(:func:`settle_kept_decision`); the blog's later word replaces or withdraws it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError

from ..appkeys import LABELS, QUEUE
from ..auth import Principal, Role
from ..comments import Comment, Record
from ..exceptions import NotFound, StorageUnavailable
from ..review.queue import RESULT_STATUS, SETTLE_LEASE_SECONDS, Action, training_labels
from .corrections import (
    AppOnly,
    BlogDecision,
    HasApp,
    add_label,
    agreeing_report,
    blog_decision,
    corrections_to,
    kept_or_unavailable,
    take_back,
    take_back_found,
    versions_of,
)

logger = logging.getLogger(__name__)


async def blog_takes_back(request: HasApp, item_id: str, principal: Principal) -> BlogDecision:
    """The blog takes back a decision of its own (its admin restored a comment from the trash, or unapproved
    one): the comment waits here again, held by nobody, and the blog is not told. ``outcome``: ``reopened``,
    ``waiting`` (it waits already), ``model_decided``, ``decided_otherwise`` (a moderator's decision stays),
    ``reviewed_elsewhere`` (a site whose moderators work elsewhere: the decision stays), ``withdrawn`` (no
    record yet: the decision kept for it is forgotten, see :func:`reported_decision`) or ``unknown``. With no
    record here, a mark of the take-back is kept in the decision's place (see
    :meth:`~.review.queue.ReviewQueue.forget_decision`): an older decision whose request stalled and reaches Redis
    after it is not kept, nor applied when the record arrives.

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    at = repr(time.time())
    await supersede_kept(request, item_id)
    with kept_or_unavailable(request, "the change"):
        try:
            taken = await take_back_found(request, item_id, principal)
        except NotFound:
            taken = BlogDecision("unknown")
    # a decision of its own kept for the record (none there yet, or one that arrived and is not settled yet) is
    # older than this word: it is forgotten (``withdrawn`` when there was no record), as are the labels kept at
    # once for it, as a decision reopened here loses its label
    forgot = await forget_superseded(request, item_id, principal.name,
                                     takes_labels=taken.outcome in ("unknown", "reopened", "waiting"),
                                     taken_back=at if taken.outcome == "unknown" else "")
    return BlogDecision("withdrawn") if forgot and taken.outcome == "unknown" else taken


@dataclass(frozen=True)
class BlogReport:
    """A decision of the blog's own as one protocol reported it, and all that is needed to apply it later: kept
    in Redis (its :meth:`fields`) while the comment has no record there. ``call`` says what the protocol
    makes of it beyond deciding a waiting comment (see :data:`FOLLOW_UPS`): ``decision`` (``POST
    /v1/comments/{id}/decision``), ``correction`` (Akismet's submit-spam / submit-ham), ``status`` (the
    must-use plugin's submit-status) or ``suggestion`` (Coral's approval through Perspective's suggestscore;
    ``labels``: the suggestion's). ``version``: of the comment the blog decided, when the report sent its
    text (see :meth:`Comment.version`); ``labelled``: its label was kept when it was reported (see
    :func:`label_kept_at_once`); ``labels_kept``: the names of the labels kept so, its own and those of the
    decisions kept before it for the comment, which it replaced (gathered by the queue's KEEP_DECISION)."""

    call: str
    action: Action
    by: str
    source: str
    categories: tuple[str, ...] = ()
    labels: Mapping[str, int] | None = None
    version: str = ""
    labelled: bool = False
    labels_kept: tuple[str, ...] = ()
    at: float = field(default_factory=time.time)

    def fields(self) -> dict[str, str]:
        return {"call": self.call, "action": self.action.value, "by": self.by, "source": self.source,
                "categories": json.dumps(list(self.categories)),
                "labels": "" if self.labels is None else json.dumps(dict(self.labels)),
                "version": self.version, "labelled": "1" if self.labelled else "",
                "labels_kept": json.dumps(list(self.labels_kept)), "at": repr(self.at)}

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> BlogReport:
        return cls(call=fields["call"], action=Action(fields["action"]), by=fields["by"], source=fields["source"],
                   categories=tuple(json.loads(fields["categories"])),
                   labels=json.loads(fields["labels"]) if fields["labels"] else None, version=fields["version"],
                   labelled=fields["labelled"] == "1", labels_kept=tuple(json.loads(fields.get("labels_kept") or "[]")),
                   at=float(fields["at"]))


async def reported_decision(request: HasApp, record_id: str, report: BlogReport,
                            comment: Comment | None = None) -> BlogDecision:
    """Apply the blog's decision (:func:`apply_report`); for a comment with no record in Redis, keep it there
    for the retention time (``kept``), to be applied by the same code when the record arrives: its record may
    wait in a local spool while Redis is away for the process that has it, and the blog's word must not be
    lost. A comment never submitted, or whose record expired, looks the same: its decision is kept and expires.
    ``unknown`` only when the blog deleted the comment after the decision was made (a decision made after a
    deletion is kept: the blog may have sent the comment again). ``comment``: as the report sent it, if it did.

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    await supersede_kept(request, record_id, report)
    for _ in range(3):  # the record may arrive between the two: then it is decided as it stands
        decided = await decide_as_reported(request, record_id, report)
        own = label_kept_at_once(report)
        if decided.outcome == "unknown" and own is not None and not report.labelled:
            # the label about to be kept at once is named in the decision kept before it is kept, so that should
            # this request fail in between, the blog's later word (kept in its place, or applied to the record)
            # takes it back all the same (until 2026-11-28 it was named only afterwards, and then stayed)
            kept = await keep_reported(request, record_id, replace(report, labels_kept=(own,)))
            if kept == "deleted":
                return decided
            if kept == "exists":
                continue
        decided = await follow_up(request, record_id, report, decided, comment)
        if decided.outcome != "unknown":
            await forget_superseded(request, record_id, report.by, takes_labels=decided.outcome == "decided",
                                    decided_as=report.action, at=repr(report.at))
            return decided
        # (a correction's or suggestion's follow-up has kept its label now: the decision's replaces it when it is
        # applied)
        kept_report = replace(report, labelled=own is not None, labels_kept=(own,) if own else ())
        kept = await keep_reported(request, record_id, kept_report)
        if kept == "kept":
            return BlogDecision("kept")
        if kept == "deleted":
            return decided
        report = kept_report
    return decided


async def keep_reported(request: HasApp, record_id: str, report: BlogReport) -> str:
    """Keep the blog's decision for a comment with no record here (see
    :meth:`~.review.queue.ReviewQueue.keep_decision`): ``kept``, ``exists`` or ``deleted``.

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    with kept_or_unavailable(request, "the decision"):
        return await request.app[QUEUE].keep_decision(record_id, report.fields())


async def supersede_kept(request: HasApp, record_id: str, word: BlogReport | None = None) -> None:
    """The blog's word is about to be applied to the comment: a decision of its own kept before for the record
    (see :func:`reported_decision`) is older, and must not be applied after it. A decision (``word``) is kept
    in its place, in the same step: should Redis go away before the word is applied (a ``503`` the blog may
    never retry), :func:`settle_kept_decision` applies it when the record is delivered again, and neither word
    is lost (until 2026-11-28 the older one was only marked superseded: both were lost, and the comment waited
    for a moderator). A take-back (no ``word``) marks it superseded: left unapplied, the comment waits, as the
    take-back says. Its labels go with :func:`forget_superseded`, once the word has been applied. One being
    applied at this moment (its record has just arrived) is waited for, at most for its lease, so that this
    word is applied after it and counts (until 2026-11-28 the older decision, checked before the word and
    applied after it, could override it).

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    queue = request.app[QUEUE]
    with kept_or_unavailable(request, "the decision"):
        until = await queue.supersede_decision(record_id, word.fields() if word is not None else None)
        while until is not None and time.time() < until:
            await asyncio.sleep(SETTLING_POLL_SECONDS)
            until = await queue.settling_until(record_id)


#: How often the blog's word waiting for a kept decision being applied (see :func:`supersede_kept`) looks again.
SETTLING_POLL_SECONDS = 0.02


async def forget_superseded(request: HasApp, record_id: str, by: str, *, takes_labels: bool,
                            decided_as: Action | None = None, at: str = "", taken_back: str = "") -> bool:
    """The blog's word reached the comment's record itself: a decision of its own kept for the record before it
    arrived and not applied yet (Redis went away between storing the record and applying it, see
    :func:`settle_kept_decision`) is older, and goes unapplied; with ``takes_labels`` (the word decided the
    comment, or took it back: the decision's label is the one example, or none) the labels its reports kept
    at once go too, and the comment's history says the blog withdrew them, except those that said what the
    word decided (``decided_as``): the word repeated them. ``at``: the word's, kept in the decision's place by
    :func:`supersede_kept` (a later word kept in its place since stays, for its own request or the record's
    delivery to apply); ``""``: whichever is kept. ``taken_back``: when the service received the blog's
    take-back of a comment with no record here, whose mark is kept in the decision's place (a word received
    after it stays). Returns whether there was one (a take-back's mark is none).

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    with kept_or_unavailable(request, "the decision"):
        kept = await request.app[QUEUE].forget_decision(record_id, at, taken_back=taken_back, by=by)
        names = labels_kept_in(kept) if takes_labels else ()
        site_id = record_id.rpartition(":")[0]
        agreeing = [name for name in names if decided_as is not None and label_agrees(name, decided_as)]
        withdrawn = [name for name in names if name not in agreeing]
        if agreeing:
            await request.app[LABELS].take_back_corrections(site_id, record_id, agreeing, by, audited=False)
        if withdrawn:
            await request.app[LABELS].take_back_corrections(site_id, record_id, withdrawn, by)
    return bool(kept) and not is_take_back(kept)


def is_take_back(kept: Mapping[str, str]) -> bool:
    """Whether what is kept for a comment with no record here is the mark of the blog's take-back (see
    :meth:`~.review.queue.ReviewQueue.forget_decision`), not a decision: nothing to apply."""
    return kept.get("taken_back") == "1"


def labels_kept_in(kept: Mapping[str, str]) -> tuple[str, ...]:
    """The names of the labels kept at once that a decision kept for a comment (its fields), or a take-back's
    mark (an older word's, which reached Redis after it), names."""
    return tuple(json.loads(kept.get("labels_kept") or "[]"))


async def delete_kept_labels(request: HasApp, public_id: str, by: str) -> int:
    """Delete the labels kept at once for the blog's reports about a comment with no record here (Akismet's
    Spam / Not Spam, Coral's approval), which the decision kept for the record names; that decision goes (the
    deletion would take it anyway, and with it the only names of those labels)."""
    kept = await request.app[QUEUE].forget_decision(public_id)
    names = labels_kept_in(kept)
    if not names:
        return 0
    site_id = public_id.rpartition(":")[0]
    return await request.app[LABELS].take_back_corrections(site_id, public_id, names, by, audited=False)


async def apply_report(request: HasApp, record_id: str, report: BlogReport,
                       comment: Comment | None = None) -> BlogDecision:
    """Decide the comment as the blog did (:func:`decide_as_reported`), then do what the report's protocol makes
    of it otherwise (:func:`follow_up`). ``comment``: as the report sent it; else the record's."""
    return await follow_up(request, record_id, report, await decide_as_reported(request, record_id, report), comment)


async def decide_as_reported(request: HasApp, record_id: str, report: BlogReport) -> BlogDecision:
    """Decide the comment as the blog did (:func:`blog_decision`)."""
    return await blog_decision(request, record_id, report.action, source=report.source,
                               principal=Principal(report.by, Role.BLOG), categories=report.categories,
                               labels=report.labels)


async def follow_up(request: HasApp, record_id: str, report: BlogReport, decided: BlogDecision,
                    comment: Comment | None = None) -> BlogDecision:
    """What the report's protocol makes of the blog's decision (``decided``) otherwise (:data:`FOLLOW_UPS`: a
    label for a comment the model decided, say). ``comment``: as the report sent it; else the record's."""
    comment = comment or (decided.item.record.comment if decided.item is not None else None)
    if comment is None:
        return decided
    return replace(decided, outcome=await FOLLOW_UPS[report.call](request, record_id, report, comment, decided))


async def decision_follow_up(request: HasApp, record_id: str, report: BlogReport, comment: Comment,
                             decided: BlogDecision) -> str:
    """``POST /v1/comments/{id}/decision``: a comment the model decided keeps its status, and the decision is
    its label (once per action, in place of another action's)."""
    if decided.outcome != "model_decided":
        return decided.outcome
    await add_label(request, comment, training_labels(report.action, report.categories), source=report.source,
                    principal=Principal(report.by, Role.BLOG), once=report.action.value, record_id=record_id,
                    versions=versions_of(decided, comment))
    return "labelled"


async def correction_follow_up(request: HasApp, record_id: str, report: BlogReport, comment: Comment,
                               decided: BlogDecision) -> str:
    """Akismet's submit-spam / submit-ham: decided so (now, or before by a moderator or this same report), no
    second label, and an earlier report of the other kind is taken back (the blog's last word counts);
    otherwise the correction is a label, once, and kept even for a comment not known here (it may have
    expired). A label kept when the report came, before the record arrived, gives way to the decision's."""
    action, labels = report.action, report.labels or {}
    agrees = decided.item is not None and decided.item.record.status is RESULT_STATUS[action]
    if agrees and decided.outcome in ("decided", "decided_otherwise"):
        await agreeing_report(request, comment, action, report.by, versions=versions_of(decided, comment),
                              record_id=record_id)
        if report.labelled:  # its label gives way to the decision's: the same word, nothing taken back
            await take_back(request, comment, [f"{action.value}:{report.version}"], report.by, record_id=record_id,
                            audited=False)
        return decided.outcome
    if decided.outcome != "decided" and not report.labelled:
        await add_label(request, comment, labels, source=report.source, principal=Principal(report.by, Role.BLOG),
                        once=action.value, record_id=record_id, versions=versions_of(decided, comment))
    return decided.outcome


async def status_follow_up(request: HasApp, record_id: str, report: BlogReport, comment: Comment,
                           decided: BlogDecision) -> str:
    """The must-use plugin's submit-status (*Approve*, *Trash*): for a comment the model decided, an approval
    is a label, once, and the trash takes that label back."""
    if decided.outcome != "model_decided":
        return decided.outcome
    if report.action is Action.APPROVE:
        added = await add_label(request, comment, training_labels(report.action, ()), source=report.source,
                                principal=Principal(report.by, Role.BLOG), once=report.action.value,
                                record_id=record_id, versions=versions_of(decided, comment))
        return "labelled" if added else "model_decided"
    await take_back(request, comment, corrections_to(versions_of(decided, comment), Action.APPROVE), report.by,
                    record_id=record_id)
    return "model_decided"


def suggestion_name(labels: Mapping[str, int]) -> str:
    """The name a Perspective suggestion is kept under, once per comment: the same labels are the same
    suggestion."""
    return "suggested-" + hashlib.blake2b(json.dumps(labels, sort_keys=True).encode(), digest_size=6).hexdigest()


async def suggestion_follow_up(request: HasApp, record_id: str, report: BlogReport, comment: Comment,
                               decided: BlogDecision) -> str:
    """Coral's approval through Perspective's suggestscore: decided so (now, or before by this same report), the
    decision's label is the only one; otherwise the suggestion is a label, once, even for a comment not known
    here (Coral's comments are mostly scored with ``doNotStore``). A suggestion kept as a label when the report
    came, before the record arrived, gives way to the decision's."""
    labels = report.labels or {}
    if decided.outcome == "decided":
        if report.labelled:  # the same word: nothing the blog took back, so no audit entry
            await take_back(request, comment, [f"{suggestion_name(labels)}:{report.version}"], report.by,
                            record_id=record_id, audited=False)
        return decided.outcome
    if not report.labelled:
        await add_label(request, comment, labels, source=report.source, principal=Principal(report.by, Role.BLOG),
                        once=suggestion_name(labels), record_id=record_id, replaces_others=False,
                        versions=versions_of(decided, comment))
    return decided.outcome


FOLLOW_UPS = {"decision": decision_follow_up, "correction": correction_follow_up, "status": status_follow_up,
              "suggestion": suggestion_follow_up}


def label_kept_at_once(report: BlogReport) -> str | None:
    """The name of the label a report's follow-up keeps for a comment with no record here (it may never come):
    a correction's (Akismet's) or a suggestion's (Perspective's); kept for when the record arrives, the report
    says so (``labelled``), and the decision's label then replaces it. None for the other calls."""
    if report.call == "correction":
        return f"{report.action.value}:{report.version}"
    if report.call == "suggestion":
        return f"{suggestion_name(report.labels or {})}:{report.version}"
    return None


def label_agrees(name: str, action: Action) -> bool:
    """Whether the label kept at once under ``name`` (see :func:`label_kept_at_once`) said what ``action`` does:
    a correction to that action, or Coral's approval (the only suggestion kept with a decision)."""
    said = name.partition(":")[0]
    return said == action.value or (said.startswith("suggested-") and action is Action.APPROVE)


async def take_back_earlier(request: HasApp, record: Record, names: list[str], report: BlogReport) -> None:
    """The labels kept at once for the blog's words before ``report``, which decided the record: they give way
    to the decision's. The comment's history says the blog withdrew those that said otherwise; those that said
    the same are no correction it took back (with the record here the later word was a retry)."""
    agreeing = [name for name in names if label_agrees(name, report.action)]
    withdrawn = [name for name in names if name not in agreeing]
    if agreeing:
        await take_back(request, record.comment, agreeing, report.by, record_id=record.id, audited=False)
    if withdrawn:
        await take_back(request, record.comment, withdrawn, report.by, record_id=record.id)


def readable_report(record: Record, kept: Mapping[str, str]) -> BlogReport | None:
    """The blog's decision kept for ``record`` (its fields), or None when this version cannot read it: kept by
    another version of the service (a rolling restart: a call this one does not know). Such a decision is left
    kept, unapplied, for a worker that knows it (the record's next delivery) or until it expires, and the record
    stays as it came: raising would stop a spool's delivery at this record, on every attempt."""
    try:
        report = BlogReport.from_fields(kept)
        if report.call not in FOLLOW_UPS:
            raise KeyError(f"call {report.call!r}")
    except (KeyError, ValueError, TypeError) as exc:
        logger.error("the blog's decision kept for %s cannot be read by this version (%s: %s): left kept, the "
                     "record is stored as it came", record.id, type(exc).__name__, exc)
        return None
    return report


async def settle_kept_decision(app: web.Application, record: Record, kept: Mapping[str, str]) -> Record:
    """A record reached Redis (from a spool, or a request) while a decision of the blog's own about it was kept
    (:func:`reported_decision`): it is applied now, as if it had been reported now, and then forgotten (a
    process that stops between the two applies it again on the record's next retry, and applying it twice is
    a retry). Read and held in one step (:meth:`~.review.queue.ReviewQueue.settle_decision`), so that a word
    landing meanwhile waits and is applied after it. The blog's later word that reached the record before (and
    was kept in the decision's place, :func:`supersede_kept`) is the one applied, whether or not its own
    request got to apply it (a retry, if it did); after a take-back nothing is. One kept in its place while it
    was applied is applied after it, here too, and so on until nothing newer was kept meanwhile: its request
    may have failed, and this delivery may be the record's last (until 2026-11-28 it was left kept; then only
    the first three were applied so, and a fourth was left kept). Each further round needs a word the blog sent
    during the one before, so the rounds end when the blog's words do; they stop being started after
    :data:`SETTLE_LEASE_SECONDS` (the longest one word waits for another), leaving the last word to its own
    request, which goes on once this one's lease ends. A decision this version cannot read is left kept
    (:func:`readable_report`). Returns the record as it stands then. The CommentStore's ``settle``.

    :raises redis.exceptions.ConnectionError: Redis went away meanwhile (the caller keeps the record, and the
        decision stays kept).
    """
    if is_take_back(kept):  # the blog's last word: the record stays as it came
        logger.info("the blog took its decision about %s back before the record arrived: nothing applied", record.id)
        await withdraw_after_take_back(app, record, kept)
        return record
    if readable_report(record, kept) is None:
        return record
    queue = app[QUEUE]
    stands = record
    deadline = time.monotonic() + SETTLE_LEASE_SECONDS
    while True:
        held = await queue.settle_decision(record.id)
        if not held:
            # the blog took it back since the record was stored (or its later word was applied and forgotten):
            # that word counts
            logger.info("the blog's decision (kept while %s had no record here) gave way to a later word",
                        record.id)
            try:
                return (await queue.item(record.id)).record
            except NotFound:
                return stands
        report = readable_report(record, held)
        if report is None:  # the blog's later word kept in its place by another version: held until the lease ends
            return stands
        if held["at"] != kept["at"]:
            logger.info("the blog's later word about %s (%s) was kept in place of its decision kept while the "
                        "record was not here: it is applied", record.id, report.action.value)
        stands = await apply_kept(app, record, report)
        if await queue.forget_decision(record.id, held["at"], held["applying"]):
            return stands
        # the blog's later word reached the decision while it was applied, and was kept in its place: its own
        # request may never apply it (it failed, a 503 the blog may never retry), and this delivery may be the
        # record's last, so it is applied here too (a retry, if its request applies it as well)
        if time.monotonic() >= deadline:
            logger.warning("the blog's words about %s kept coming while its record was delivered: the last one "
                           "is left to its own request", record.id)
            return stands


async def withdraw_after_take_back(app: web.Application, record: Record, mark: Mapping[str, str]) -> None:
    """The record arrived with the mark of the blog's take-back kept for it (see :func:`blog_takes_back`): the
    labels an older word kept at once, its request reaching Redis after the take-back, are taken back, as the
    take-back took back those kept before it, and the mark goes (unless a later word replaced it meanwhile).

    :raises redis.exceptions.ConnectionError: Redis went away meanwhile (the mark stays, for the next retry).
    """
    if not labels_kept_in(mark):
        return
    try:
        await forget_superseded(AppOnly(app), record.id, mark.get("by", ""), takes_labels=True, at=mark["at"])
    except StorageUnavailable as exc:
        raise RedisConnectionError(exc.message) from None


async def apply_kept(app: web.Application, record: Record, report: BlogReport) -> Record:
    """Apply the blog's decision kept for ``record`` (see :func:`settle_kept_decision`). Returns the record as it
    stands then.

    :raises redis.exceptions.ConnectionError: Redis went away meanwhile.
    """
    request = AppOnly(app)
    try:
        decided = await apply_report(request, record.id, report)
        if decided.outcome == "decided":  # as with the record here, the blog's words before it leave no label
            own = label_kept_at_once(report) if report.labelled else None
            await take_back_earlier(request, record, [name for name in report.labels_kept if name != own],
                                    report)
    except StorageUnavailable as exc:
        raise RedisConnectionError(exc.message) from None
    logger.info("the blog's decision (%s, kept while %s had no record here) applied: %s", report.action.value,
                record.id, decided.outcome)
    return decided.item.record if decided.item is not None else record
