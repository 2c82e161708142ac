"""What the blog tells the service back: its admin's own decisions, and corrections kept as labelled examples.

Shared by ``POST /v1/comments/{id}/decision`` and the protocol adapters (Akismet's submit-spam / submit-ham,
Perspective's suggestscore).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web

from ..appkeys import HEALTH, LABELS, QUEUE, SETTINGS
from ..auth import Principal
from ..comments import Comment, Status, public_id
from ..exceptions import Conflict, NotFound, StorageUnavailable
from ..redis_connection import REDIS_DOWN
from ..review.labels import labelled_example
from ..review.queue import Action, Item


@contextmanager
def kept_or_unavailable(request: web.Request, what: str) -> Iterator[None]:
    """Around writing what the blog reported: Redis away marks the service degraded and is a 503 saying
    that ``what`` was not kept (the blog retries)."""
    try:
        yield
    except REDIS_DOWN as exc:
        request.app[HEALTH].down(exc)
        raise StorageUnavailable(f"Redis is unreachable, so {what} cannot be kept now; retry shortly.") from None


@dataclass(frozen=True)
class BlogDecision:
    """What the blog's own decision on a comment did. ``outcome``: ``decided`` (so now, or by this same report
    before: a retry; a different decision of the blog's own before is replaced: its last word counts),
    ``model_decided`` (it waits for nobody: a correction of the model can only be a label),
    ``decided_otherwise`` (by a moderator: ``refusal`` says so), or ``unknown`` (never kept, deleted or
    expired)."""

    outcome: str
    item: Item | None = None
    refusal: Conflict | None = None


async def blog_decision(request: web.Request, item_id: str, action: Action, *, source: str, principal: Principal,
                        categories: Sequence[str] = (), labels: Mapping[str, int] | None = None) -> BlogDecision:
    """The blog reports what its admin decided (``POST /v1/comments/{id}/decision``, Akismet's submit-spam /
    submit-ham, Coral's approval through Perspective). A comment that waits in the queue is decided so, whoever
    holds it, with its label, the author's history and a spam verdict's reputation; ``source`` names the way
    the report came (the label's source).

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    queue = request.app[QUEUE]
    with kept_or_unavailable(request, "the decision"):
        try:
            for _ in range(3):  # another report of the blog's own may change the item meanwhile: look again
                try:
                    return BlogDecision("decided", await queue.decide(item_id, principal.name, action, categories,
                                                                      by_blog=source, labels=labels))
                except Conflict as exc:
                    refusal = exc
                item = await queue.item(item_id)
                if refusal.code == "decided_by_model":
                    return BlogDecision("model_decided", item)
                if item.record.status is Status.PENDING:  # taken back meanwhile: decide it now
                    continue
                if item.decided_by != principal.name:
                    return BlogDecision("decided_otherwise", item, refusal)
                if item.decision_action == action.value:
                    return BlogDecision("decided", item)
                try:  # the blog changes its own mind: its last word counts
                    await queue.reopen(item_id, principal.name, decided_at=item.decided_at, by_blog=True)
                except Conflict as exc:
                    refusal = exc
            return BlogDecision("decided_otherwise", await queue.item(item_id), refusal)
        except NotFound:
            return BlogDecision("unknown")


async def blog_takes_back(request: web.Request, item_id: str, principal: Principal) -> BlogDecision:
    """The blog takes back a decision of its own (its admin restored a comment from the trash, or unapproved
    one): the comment waits here again, held by nobody, and the blog is not told. ``outcome``: ``reopened``,
    ``waiting`` (it waits already), ``model_decided``, ``decided_otherwise`` (a moderator's decision stays),
    ``reviewed_elsewhere`` (a site whose moderators work elsewhere: the decision stays) or ``unknown``.

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    queue = request.app[QUEUE]
    with kept_or_unavailable(request, "the change"):
        try:
            item = await queue.item(item_id)
            if item.record.status is Status.PENDING:
                return BlogDecision("waiting", item)
            if not item.decided_by:
                return BlogDecision("model_decided", item)
            if item.decided_by != principal.name:
                return BlogDecision("decided_otherwise", item)
            if not item.record.queued:  # its moderators are elsewhere (Coral): nobody here would decide it
                return BlogDecision("reviewed_elsewhere", item)
            return BlogDecision("reopened", await queue.reopen(item_id, principal.name, decided_at=item.decided_at,
                                                               by_blog=True))
        except NotFound:
            return BlogDecision("unknown")
        except Conflict as exc:
            return BlogDecision("decided_otherwise", await queue.item(item_id), exc)


async def add_label(
    request: web.Request, comment: Comment, labels: Mapping[str, int], *, source: str, principal: Principal,
    once: str | None = None, record_id: str | None = None, replaces_others: bool = True,
) -> bool:
    """Keep a correction sent through a protocol as a labelled example for retraining; with ``once`` (the
    action corrected to, such as ``spam``), only once per comment and correction while its record may live,
    and in place of a correction to another action kept before (``replaces_others=False``: beside it);
    ``record_id``: the comment's record, when the blog named it, else the one its identity gives.

    Returns False when that correction was kept before.

    :raises StorageUnavailable: Redis is unreachable (labels are not spooled); the client should retry.
    """
    example = labelled_example(comment.content, labels, source=source, labelled_by=principal.name,
                               comment=comment.as_dict())
    with kept_or_unavailable(request, "the correction"):
        if once is None:
            await request.app[LABELS].add(example)
            return True
        retention = request.app[SETTINGS].decision_ttl_days * 86400
        record_id = record_id or public_id(comment.site_id, comment.identity())
        replaces = other_corrections(comment, once) if replaces_others else []
        return await request.app[LABELS].add_correction(example, record_id, f"{once}:{comment.version()}",
                                                        retention, replaces=replaces)


def other_corrections(comment: Comment, action: str) -> list[str]:
    """The names of the corrections of ``comment`` (as it reads now) to an action other than ``action``."""
    version = comment.version()
    return [f"{other.value}:{version}" for other in Action if other.value != action]


async def take_back(request: web.Request, comment: Comment, names: Sequence[str], principal: Principal, *,
                    record_id: str | None = None) -> None:
    """Take back the blog's corrections ``names`` of ``comment`` (see :func:`other_corrections`).

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    with kept_or_unavailable(request, "the report"):
        await request.app[LABELS].take_back_corrections(
            comment.site_id, record_id or public_id(comment.site_id, comment.identity()), names, principal.name)


def corrections_to(comment: Comment, action: Action) -> list[str]:
    """The name of the correction of ``comment`` (as it reads now) to ``action``."""
    return [f"{action.value}:{comment.version()}"]


async def agreeing_report(request: web.Request, comment: Comment, action: Action, principal: Principal, *,
                          record_id: str | None = None) -> None:
    """The blog reports the decision the comment already has (a moderator's): any correction to another
    action it reported before is taken back, so that its last word counts.

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    await take_back(request, comment, other_corrections(comment, action.value), principal, record_id=record_id)
