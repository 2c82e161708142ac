"""The calls of this service's own that its WordPress must-use plugin sends beside the Akismet plugin's
(``moderation-service wordpress-plugin``): what the admin did in WordPress that the Akismet plugin does not
report (``submit-status``), which WordPress comment a checked comment became (``comment-stored``), and
its personal data eraser's requests (``erase-personal-data``). They
speak Akismet's way (a form, the blog key, ``invalid`` with its debug help); see the README, *Decisions into
WordPress*.
"""

from __future__ import annotations

from aiohttp import web

from ..appkeys import QUEUE, STORE
from ..auth import Principal
from ..comments import Comment, split_public_id
from ..exceptions import NotFound
from ..model.text import has_text
from ..review.queue import Action
from .akismet import (
    OUTCOME_HEADER,
    THANKS,
    Form,
    Invalid,
    akismet_handler,
    authenticate,
    is_test,
    named_record_id,
    reported_by_this_service,
    reported_record_id,
    required,
    text,
    to_comment,
)
from .blog_reports import BlogReport, blog_takes_back, reported_decision
from .corrections import corrections_to, kept_or_unavailable, take_back, versions_of

routes = web.RouteTableDef()

#: What ``submit-status`` hears, the WordPress status someone who moderates comments set there -> the decision
#: it is here: ``approved``, and the ``trash``; ``unapproved`` (out of the trash, or an approval undone) takes
#: back the blog's own decision; ``delete`` (for good, as from the spam folder, which has no trash) is
#: handled as ``DELETE /v1/comments/{id}``.
STATUS_ACTIONS = {"approved": Action.APPROVE, "trash": Action.REJECT}
STATUSES = (*STATUS_ACTIONS, "unapproved", "delete")
#: The trash says the comment is not wanted, not why (spam, an insult, off topic, a duplicate): it decides a
#: waiting comment but teaches nothing. An approval says the comment is fine: not spam, not toxic.
STATUS_LABELS: dict[Action, dict[str, int] | None] = {Action.APPROVE: None, Action.REJECT: {}}


@routes.post("/1.1/submit-status")
@akismet_handler
async def submit_status(request: web.Request, form: Form) -> web.Response:
    """This service's extension, sent by its WordPress must-use plugin: someone who moderates comments
    approved a comment, put it in the trash, took it out again or deleted it, changes the Akismet plugin does
    not report (it reports only moves into or out of the spam folder). The comment comes as in submit-spam /
    submit-ham, with WordPress's new ``status``. ``X-Moderation-Outcome`` says what the report did."""
    principal, site_id = authenticate(request, form)
    status = required(form, "status")
    if status not in STATUSES:
        raise Invalid(f'Unknown "status" {status!r}: send {", ".join(STATUSES)}.')
    named = named_record_id(site_id, form)
    if status == "delete" and named and not has_text(form.get("comment_content", "")):
        # a deletion the plugin kept while the service was down: by the record's id alone, no text kept
        return text(THANKS, {OUTCOME_HEADER: await deleted_by_blog(request, named, principal)})
    comment = to_comment(request, site_id, form)
    if is_test(form) or reported_by_this_service(request, site_id, form):
        return text(THANKS, {OUTCOME_HEADER: "ignored"})
    record_id = await reported_record_id(request, site_id, form, comment)
    if status == "delete":
        outcome = await deleted_by_blog(request, record_id, principal)
    elif status == "unapproved":
        taken = await blog_takes_back(request, record_id, principal)
        outcome = taken.outcome
        if outcome == "model_decided":  # an approval undone: no longer a label
            await take_back(request, comment, corrections_to(versions_of(taken, comment), Action.APPROVE),
                            principal.name, record_id=record_id)
    else:
        outcome = await status_decision(request, form, comment, record_id, principal)
    return text(THANKS, {OUTCOME_HEADER: outcome})


async def status_decision(request: web.Request, form: Form, comment: Comment, record_id: str,
                          principal: Principal) -> str:
    """Approved or trashed in WordPress: a waiting comment is decided so (the blog's last word counts);
    for one the model decided, an approval is a label, once, and the trash takes that label back (see
    :func:`.corrections.status_follow_up`). Without a record here yet (it may wait in a spool), the decision
    is kept for when it arrives (``kept``): the plugin, answered, does not send it again, and need not."""
    action = STATUS_ACTIONS[form["status"].strip()]
    report = BlogReport("status", action, principal.name, "akismet", labels=STATUS_LABELS[action],
                        version=comment.version())
    return (await reported_decision(request, record_id, report, comment)).outcome


async def deleted_by_blog(request: web.Request, record_id: str, principal: Principal) -> str:
    """Deleted in WordPress for good: the record leaves Redis and the queue, and any delivery still owed about
    it is cancelled, as with ``DELETE /v1/comments/{id}`` (its labels stay)."""
    with kept_or_unavailable(request, "the deletion"):
        try:
            await request.app[QUEUE].delete(record_id, principal.name)
        except NotFound:
            return "unknown"
    return "deleted"


@routes.post("/1.1/comment-stored")
@akismet_handler
async def comment_stored(request: web.Request, form: Form) -> web.Response:
    """This service's extension, sent by its WordPress must-use plugin once WordPress has stored a comment the
    Akismet plugin checked: the record ``id`` (the ``X-akismet-guid`` the check was answered with) is
    WordPress's comment ``comment_ID``. Decisions then reach that comment without a search, and the plugin's
    later calls about it name the record (``moderation_service_id``). ``status``, WordPress's for the stored
    comment: ``trash`` (its disallowed words) decides a waiting comment as the blog's rejection (kept for the
    record if it has not reached Redis yet, as submit-status's trash is).
    ``X-Moderation-Outcome``: ``linked``, ``linked_elsewhere`` (the record is another comment's, which stays:
    two comments that read alike are one record) or ``unknown`` (a record never kept, or gone)."""
    principal, site_id = authenticate(request, form)
    record_id = required(form, "id")
    parts = split_public_id(record_id)
    if parts is None or parts[0] != site_id:
        raise Invalid(f'"id" must be the X-akismet-guid this site\'s comment was answered with, not {record_id!r}.')
    comment_id = required(form, "comment_ID")
    if not comment_id.isascii() or not comment_id.isdigit():
        raise Invalid(f'"comment_ID" must be WordPress\'s comment id, a number, not {comment_id!r}.')
    with kept_or_unavailable(request, "the comment's WordPress id"):
        outcome = await request.app[STORE].link(record_id, comment_id)
    if outcome != "linked_elsewhere" and form.get("status", "").strip() == "trash":
        # WordPress put it in the trash as it stored it (its disallowed words): the blog's rejection, kept for
        # the record if it is not here yet (``unknown``: it may wait in a spool), as submit-status's trash is
        report = BlogReport("status", Action.REJECT, principal.name, "akismet", labels=STATUS_LABELS[Action.REJECT])
        await reported_decision(request, record_id, report)
    return text(THANKS, {OUTCOME_HEADER: outcome})


@routes.post("/1.1/erase-personal-data")
@akismet_handler
async def erase_personal_data(request: web.Request, form: Form) -> web.Response:
    """This service's extension, sent by its WordPress must-use plugin's personal data eraser (WordPress's
    *Erase Personal Data*) for each of the person's comments: their data leaves the comment's record, as with
    ``POST /v1/comments/{id}/erase-personal-data``. The record is the one the plugin names
    (``moderation_service_id``; then no comment field is needed), else the one the comment's fields give, as
    in reports. ``X-Moderation-Outcome``: ``erased`` (now, or before) or ``unknown`` (no record here)."""
    principal, site_id = authenticate(request, form)
    named = named_record_id(site_id, form)
    if named and not has_text(form.get("comment_content", "")):
        record_id = named
    else:
        comment = to_comment(request, site_id, form)
        record_id = await reported_record_id(request, site_id, form, comment)
    with kept_or_unavailable(request, "the erasure"):
        try:
            await request.app[QUEUE].erase_personal_data(record_id, principal.name)
        except NotFound:
            return text(THANKS, {OUTCOME_HEADER: "unknown"})
    return text(THANKS, {OUTCOME_HEADER: "erased"})
