"""What the protocol adapters (Akismet, Perspective, Coral) share.

An adapter only translates: its protocol's fields into the one :class:`~moderation_service.comments.Comment`
(validated by the same schema and limits as ``POST /v1/comments``), and the resulting
:class:`~moderation_service.comments.Record` back into its protocol. Scoring, the site's policy, storage and
the review queue belong to the decision path alone, so a comment held through any protocol waits in the
same queue as one submitted to ``/v1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ..appkeys import DECISIONS, EVALUATOR, KEYRING
from ..auth import ALL_SITES, Permission, Principal, Role
from ..comments import Comment, Record
from ..exceptions import InvalidFields
from ..model.attributes import TOXICITY_FAMILY
from ..policy import Decision
from .comments import load_comment

#: Response headers every adapter adds, so that an operator can follow a protocol answer to its record.
DECISION_HEADER = "X-Moderation-Decision"
STATUS_HEADER = "X-Moderation-Status"
ID_HEADER = "X-Moderation-Id"


def build_comment(request: web.Request, fields: Mapping[str, Any], *, text_required: bool = True) -> Comment:
    """A comment from fields named as :class:`Comment` names them (``None`` = not sent).

    :raises InvalidFields: exactly as ``POST /v1/comments`` would; the adapter reports it in its own protocol.
    """
    return load_comment(request, {name: value for name, value in fields.items() if value is not None},
                        text_required=text_required)


def describe_invalid(exc: InvalidFields, names: Mapping[str, str]) -> str:
    """``field: message; …`` with the protocol's own field names (``names`` maps ours to theirs)."""
    fields: dict[str, list[str]] = exc.details.get("fields", {})
    parts = [f"{names.get(field, field)}: {' '.join(map(str, messages))}" for field, messages in sorted(fields.items())]
    return "; ".join(parts) or exc.message


async def decide(request: web.Request, comment: Comment, *, keep: bool = True) -> Record:
    """The one decision path: scored, decided and kept (held comments queued); ``keep=False`` keeps nothing."""
    if not keep:
        return request.app[EVALUATOR].evaluate(comment)
    outcome = await request.app[DECISIONS].submit(comment)
    return outcome.record


def submitter(request: web.Request, key: str | None, akismet: bool = False) -> Principal | None:
    """The principal of ``key`` if it may submit comments (to some site); keys are never logged. A short key
    made for WordPress's Akismet plugin counts only where ``akismet`` says the call is Akismet's."""
    principal = request.app[KEYRING].authenticate(key) if key else None
    if principal is None or not principal.can(Permission.SUBMIT) or (principal.akismet_only and not akismet):
        return None
    return principal


def site_for(principal: Principal, named: str | None) -> str | None:
    """The site a protocol request is for: the key's only site, else the site the protocol named.

    Protocols name a site their own way (Akismet's ``blog`` URL, Perspective's ``communityId``); that only
    matters for keys valid for several sites, and the key must be valid for the named one.
    """
    own = principal.sites - {ALL_SITES}
    if principal.role is not Role.ADMIN and ALL_SITES not in principal.sites and len(own) == 1:
        return next(iter(own))
    if named and principal.can(Permission.SUBMIT, named):
        return named
    return None


def fired(record: Record) -> set[str]:
    """The names of the scores that reached their thresholds."""
    return {reason["name"] for reason in record.reasons}


def is_spam_related(record: Record) -> bool:
    return "spam" in fired(record)


def is_toxic(record: Record) -> bool:
    return not fired(record).isdisjoint(TOXICITY_FAMILY)


def is_blatant_spam(record: Record) -> bool:
    """Spam beyond doubt: the spam decision with a score in the upper half between the spam threshold and 1.

    With a spam threshold of 0.9 that is a spam score of at least 0.95. Akismet calls this "discard".
    """
    threshold = record.thresholds["spam"]["spam"]
    return record.decision is Decision.SPAM and record.scores["spam"] >= (threshold + 1) / 2


def decision_headers(record: Record, *, kept: bool = True) -> dict[str, str]:
    """Our decision (as first answered), where the comment stands now (a moderator may have decided since),
    and the record's id when it was kept (an unkept id would lead nowhere)."""
    headers = {DECISION_HEADER: record.decision.value, STATUS_HEADER: record.status.value}
    if kept:
        headers[ID_HEADER] = record.id
    return headers


