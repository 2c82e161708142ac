"""What the blog tells the service back about a comment whose record is here: its admin's own decisions, and
corrections kept as labelled examples.

Shared by ``POST /v1/comments/{id}/decision`` and the protocol adapters (Akismet's submit-spam / submit-ham,
the WordPress must-use plugin's submit-status, Perspective's suggestscore), through :mod:`.blog_reports`, which
also keeps a decision about a comment with no record in Redis yet for when it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from ..appkeys import HEALTH, LABELS, QUEUE, SETTINGS, STORE
from ..auth import Principal
from ..comments import Comment, Record, Status, public_id
from ..exceptions import Conflict, NotFound, StorageUnavailable
from ..redis_connection import REDIS_DOWN
from ..review.labels import labelled_example
from ..review.queue import Action, Item


class HasApp(Protocol):
    """A request, or what stands for one where there is none (a kept decision applied as its record arrives)."""

    @property
    def app(self) -> web.Application: ...


@dataclass(frozen=True)
class AppOnly:
    app: web.Application


@contextmanager
def kept_or_unavailable(request: HasApp, what: str) -> Iterator[None]:
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
    expired); for a report (:func:`.blog_reports.reported_decision`) also ``kept`` (no record in Redis: kept for when it
    arrives), and what the protocol made of it (``labelled``)."""

    outcome: str
    item: Item | None = None
    refusal: Conflict | None = None


async def blog_decision(request: HasApp, item_id: str, action: Action, *, source: str, principal: Principal,
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


async def take_back_found(request: HasApp, item_id: str, principal: Principal) -> BlogDecision:
    """:func:`blog_takes_back` for a comment with a record here.

    :raises NotFound: it has none.
    """
    queue = request.app[QUEUE]
    item = await queue.item(item_id)
    if item.record.status is Status.PENDING:
        return BlogDecision("waiting", item)
    if not item.decided_by:
        return BlogDecision("model_decided", item)
    if item.decided_by != principal.name:
        return BlogDecision("decided_otherwise", item)
    if not item.record.queued:  # its moderators are elsewhere (Coral): nobody here would decide it
        return BlogDecision("reviewed_elsewhere", item)
    try:
        return BlogDecision("reopened", await queue.reopen(item_id, principal.name, decided_at=item.decided_at,
                                                           by_blog=True))
    except Conflict as exc:
        return BlogDecision("decided_otherwise", await queue.item(item_id), exc)


async def add_label(
    request: HasApp, comment: Comment, labels: Mapping[str, int], *, source: str, principal: Principal,
    once: str | None = None, record_id: str | None = None, replaces_others: bool = True,
    versions: Sequence[str] | None = None,
) -> bool:
    """Keep a correction sent through a protocol as a labelled example for retraining; with ``once`` (the
    action corrected to, such as ``spam``), only once per comment and correction while its record may live,
    and in place of a correction to another action kept before (``replaces_others=False``: beside it);
    ``record_id``: the comment's record, when the blog named it, else the one its identity gives;
    ``versions``: the comment's (see :func:`correction_versions`), when the caller has its record; else they
    are read from the record.

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
        if versions is None:
            versions = correction_versions(comment, await request.app[STORE].get(record_id))
        name = f"{once}:{versions[0]}"
        # the same correction kept under an older name of this comment's is moved, not doubled
        replaces = other_corrections(versions, once) if replaces_others else []
        replaces += [moved for version in versions[1:] if (moved := f"{once}:{version}") != name]
        return await request.app[LABELS].add_correction(example, record_id, name, retention, replaces=replaces)


def correction_versions(comment: Comment, record: Record | None) -> tuple[str, ...]:
    """The versions of ``comment`` (as the report sent it, else as its record holds it) that the blog's
    corrections of it are named by (``<action>:<version>``): the first names a new one; a correction kept
    under any of them is of this comment.

    The comment's own :meth:`~.comments.Comment.version`, unless the author's personal data was erased from
    its ``record``: that blanks fields the version hashes (and WordPress's own eraser anonymizes the row the
    blog reports), so the version stored with the record as it was received names them, as before the
    erasure; then the one computed from the comment as it reads now (the name releases before 2026-11-28 kept
    corrections after an erasure under). A comment never erased keeps the names it always had."""
    if record is None or record.personal_data_erased_at is None:
        return (comment.version(),)
    return tuple(dict.fromkeys((record.version, comment.version())))


def versions_of(decided: BlogDecision, comment: Comment) -> tuple[str, ...]:
    """:func:`correction_versions` of the comment a report was about, with its record as the report found it."""
    return correction_versions(comment, decided.item.record if decided.item is not None else None)


def other_corrections(versions: Sequence[str], action: str) -> list[str]:
    """The names of the corrections of a comment (``versions``: see :func:`correction_versions`) to an action
    other than ``action``."""
    return [f"{other.value}:{version}" for version in versions for other in Action if other.value != action]


async def take_back(request: HasApp, comment: Comment, names: Sequence[str], by: str, *,
                    record_id: str | None = None, audited: bool = True) -> None:
    """Take back the blog's corrections ``names`` of ``comment`` (see :func:`other_corrections`); with
    ``audited`` (the blog took them back) the comment's history says so (``withdraw_correction``).

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    with kept_or_unavailable(request, "the report"):
        await request.app[LABELS].take_back_corrections(
            comment.site_id, record_id or public_id(comment.site_id, comment.identity()), names, by,
            audited=audited)


def corrections_to(versions: Sequence[str], action: Action) -> list[str]:
    """The names of the correction of a comment (``versions``: see :func:`correction_versions`) to ``action``."""
    return [f"{action.value}:{version}" for version in versions]


async def agreeing_report(request: HasApp, comment: Comment, action: Action, by: str, *, versions: Sequence[str],
                          record_id: str | None = None) -> None:
    """The blog reports the decision the comment already has (a moderator's): any correction to another
    action it reported before is taken back, so that its last word counts (``versions``: see
    :func:`correction_versions`).

    :raises StorageUnavailable: Redis is unreachable; the client should retry.
    """
    await take_back(request, comment, other_corrections(versions, action.value), by, record_id=record_id)
