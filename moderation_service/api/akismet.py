"""Akismet's REST API (1.1, and 1.2's usage-limit), so that Akismet clients switch by changing the host.

The Akismet API key is one of our blog API keys: from the ``api_key`` or ``key`` field, else the leftmost label
of the Host header (older clients call ``<key>.rest.akismet.com``). The site is the key's site; a key valid
for several sites picks the one whose configured ``urls`` match Akismet's ``blog`` field.

``comment-check`` answers ``true`` for spam and for held comments (queued for moderators, hidden by the blog
meanwhile), ``false`` for published ones. Protocol rules Akismet documents and we follow: a filled honeypot
field is spam without scoring; ``user_role=administrator`` is never spam; ``is_test`` scores but keeps
nothing. See the README's "Drop-in protocols" section for every field and how our answers differ from Akismet's.
A call naming its comment's record (``moderation_service_id``, from this service's WordPress must-use plugin)
is about that record; the plugin's own calls are in :mod:`.wordpress_plugin`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from ..appkeys import HEALTH, SETTINGS, SITES, STORE
from ..auth import Principal
from ..comments import Comment, Record, Status, public_id, split_public_id
from ..exceptions import InvalidFields, StorageUnavailable
from ..model.text import has_text
from ..policy import Decision
from ..review.queue import Action
from ..settings import Settings
from .blog_reports import BlogReport, reported_decision
from .corrections import kept_or_unavailable
from .protocols import (
    DECISION_HEADER,
    build_comment,
    decide,
    decision_headers,
    describe_invalid,
    is_blatant_spam,
    site_for,
    submitter,
)
from .schemas import MAX_URL_CHARS

routes = web.RouteTableDef()

THANKS = "Thanks for making the web a better place."
#: What a report (submit-spam, submit-ham, and the must-use plugin's calls) did, for operators and tests.
OUTCOME_HEADER = "X-Moderation-Outcome"
DEBUG_HEADER = "X-akismet-debug-help"
#: Akismet's field -> ours. Fields not listed (comment_post_modified_gmt, blog_charset, …) are read below or ignored.
FIELDS = {
    "comment_content": "content",
    "permalink": "permalink",
    "comment_post_ID": "post_id",
    "comment_author": "author_name",
    "comment_author_email": "author_email",
    "comment_author_url": "author_url",
    "user_ip": "author_ip",
    "user_agent": "user_agent",
    "referrer": "referrer",
    "comment_parent": "parent_id",
    "comment_type": "type",
}
AKISMET_NAMES = {ours: theirs for theirs, ours in FIELDS.items()} | {"lang": "blog_lang",
                                                                     "submitted_at": "comment_date_gmt"}
TRUE = frozenset({"1", "true", "yes", "on"})
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")


class Invalid(Exception):
    """Akismet's way of refusing a request: the body ``invalid`` and a hint in ``X-akismet-debug-help``."""

    def __init__(self, help_text: str) -> None:
        super().__init__(help_text)
        # It may quote what the client sent (its blog URL): a header takes printable ASCII only.
        self.help_text = _NOT_PRINTABLE_ASCII.sub("?", help_text)[:500]


Form = Mapping[str, str]
#: Content types read as a form: Akismet's, and none at all (aiohttp's default type when none is sent).
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "application/octet-stream"})
Handler = Callable[[web.Request, Form], Awaitable[web.Response]]


def akismet_handler(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Read the form (query parameters too), and answer ``invalid`` with its debug help on :class:`Invalid`."""

    async def wrapped(request: web.Request) -> web.Response:
        try:
            form = {**request.query, **await read_form(request)}
            return await handler(request, form)
        except Invalid as exc:
            return text("invalid", {DEBUG_HEADER: exc.help_text})

    return wrapped


def text(body: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(text=body, content_type="text/plain", charset="utf-8", headers=headers)


def body_limit(settings: Settings) -> int:
    """The largest Akismet request read. The WordPress plugin sends the text twice (``comment_content`` and
    the form's ``POST_comment``) plus the request's headers, percent-encoded: up to 9 bytes per character of
    a CJK text. The service's body limit (sized for JSON) would refuse a long comment that ``/v1`` takes."""
    return max(settings.max_body_bytes, 20 * settings.max_content_chars + 65536)


async def read_form(request: web.Request) -> dict[str, str]:
    """The form fields, decoded with the client's ``blog_charset`` (UTF-8 unless it names another charset)."""
    limit = body_limit(request.app[SETTINGS])
    try:
        body = await request.clone(client_max_size=limit).read()
    except web.HTTPRequestEntityTooLarge:
        raise Invalid(f"The request is larger than {limit} bytes: the comment is too long for this service "
                      "(MODERATION_MAX_CONTENT_CHARS).") from None
    if body and request.content_type not in FORM_TYPES:
        # A JSON or multipart body would read as a form without fields, and the answer would blame the key.
        raise Invalid(f"The body is {request.content_type}: send the fields form-encoded, with Content-Type: "
                      "application/x-www-form-urlencoded, as Akismet clients do.")
    charset = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)).get("blog_charset") or "utf-8"
    try:
        return _decoded_form(body, charset)
    # Not a charset Python knows ("x\0"), not a text encoding ("base64"), or one that cannot replace what it
    # cannot decode ("idna"): read the form as UTF-8, as when no charset is named.
    except (LookupError, ValueError):
        return _decoded_form(body, "utf-8")


def _decoded_form(body: bytes, charset: str) -> dict[str, str]:
    decoded = body.decode(charset, errors="replace")
    return dict(parse_qsl(decoded, keep_blank_values=True, encoding=charset, errors="replace"))


def presented_key(request: web.Request, form: Form, checked: bool = False) -> str | None:
    """The caller's key: ``api_key``, ``key`` or the host name's leftmost label. With ``checked``, for the calls
    about a key (verify-key, get-subscription, deactivate), ``key`` comes first: it is the key in question,
    while the WordPress plugin sends the key it has stored so far as ``api_key`` (the old one, when its
    admin enters a new key)."""
    host_label = request.host.split(":", 1)[0].split(".", 1)[0]
    if checked:
        return form.get("key") or form.get("api_key") or host_label or None
    return form.get("api_key") or form.get("key") or host_label or None


def required(form: Form, name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise Invalid(f'Empty "{name}" value')
    return value


def authenticate(request: web.Request, form: Form, checked: bool = False) -> tuple[Principal, str]:
    """The key's principal and the site the request is for; :class:`Invalid` when either is missing.
    ``checked``: the call is about the key in ``key`` (see :func:`presented_key`)."""
    principal = submitter(request, presented_key(request, form, checked), akismet=True)
    if principal is None:
        raise Invalid("Invalid key: send one of this service's blog API keys as api_key (or key), "
                      "or as the leftmost label of the host name.")
    blog = required(form, "blog")
    site_id = site_for(principal, site_of_blog(request, blog))
    if site_id is None:
        raise Invalid(f"The blog {blog} is not a site of this key: add it to the site's urls in the sites file.")
    return principal, site_id


def site_of_blog(request: web.Request, blog: str) -> str | None:
    """The configured site whose ``urls`` contain ``blog`` (scheme, ``www.`` and a trailing slash aside)."""
    wanted = _comparable(blog)
    if wanted is None:
        return None
    for site_id, config in request.app[SITES].sites.items():
        if any(_comparable(url) == wanted for url in config.urls):
            return site_id
    return None


def _comparable(url: str) -> str | None:
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
    except ValueError:  # not a URL: "[x]" reads as a malformed IPv6 host
        return None
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


def to_comment(request: web.Request, site_id: str, form: Form) -> Comment:
    fields = {ours: form.get(theirs) or None for theirs, ours in FIELDS.items()}
    if slashed_by_wordpress(request, form):
        fields |= {name: unslash(fields[name]) for name in SLASHED if fields[name]}
    if request.path.endswith("/comment-check"):
        required(form, "user_ip")
    elif not fields["author_ip"]:
        # A report sends the comment as WordPress keeps it: 15 days after it was written the plugin drops
        # what it first sent (``akismet_as_submitted``), user_ip among it, and the row names the address so.
        fields["author_ip"] = form.get("comment_author_IP") or None
    if not has_text(fields["content"] or ""):
        raise Invalid('Empty "comment_content" value: this service judges the text, so it needs the text.')
    if fields["parent_id"] == "0":  # WordPress's "no parent"
        fields["parent_id"] = None
    for name in VISITOR_HEADERS:  # the visitor's, as sent: a bot's overlong header is no fault of the blog
        if fields[name]:
            fields[name] = fields[name][:MAX_URL_CHARS]
    try:
        return build_comment(request, {**fields, "site_id": site_id, "lang": blog_lang(form.get("blog_lang")),
                                       "submitted_at": gmt(form.get("comment_date_gmt"))})
    except InvalidFields as exc:
        raise Invalid(describe_invalid(exc, AKISMET_NAMES)) from None


#: Request headers the Akismet plugin passes on unbounded (``$_SERVER['HTTP_USER_AGENT']``, ``HTTP_REFERER``):
#: cut to the ``/v1`` limit instead of refused, so that a bot's overlong header gets a verdict, not ``invalid``.
VISITOR_HEADERS = ("user_agent", "referrer")
#: What WordPress hands the plugin with slashes added: the comment's own fields and the request's headers.
SLASHED = ("content", "author_name", "author_email", "author_url", "user_agent", "referrer", "type", "parent_id")
_WORDPRESS_PLUGIN = re.compile(r"^WordPress/\S+ \| Akismet/")
#: The WordPress scripts that hand the plugin a new comment slashed (``wp_new_comment`` with magic quotes).
_SLASHING_SCRIPTS = ("/wp-comments-post.php", "/xmlrpc.php")
_BACKSLASHED = re.compile(r"\\(.?)", re.DOTALL)
#: Text as PHP's ``addslashes`` leaves it: every quote, backslash and NUL escaped by a backslash.
_ADDSLASHED = re.compile(r"(?:[^\\'\"\0]|\\['\"\\0])*", re.DOTALL)


def slashed_by_wordpress(request: web.Request, form: Form) -> bool:
    """Whether the plugin sent a new comment as WordPress hands it over, with PHP's slashes added (``\\'``,
    ``\\"``, ``\\\\``): from its comment form, XML-RPC, or a reply in its admin (known by the script the
    plugin names in ``REQUEST_URI``). Its rechecks (``recheck_reason``) and reports (submit-spam /
    submit-ham) send the comment as stored, and a comment made through WordPress's REST API is checked
    before it is slashed."""
    if not request.path.endswith("/comment-check") or "recheck_reason" in form:
        return False
    if not _WORDPRESS_PLUGIN.match(request.headers.get("User-Agent", "")):
        return False
    script = urlsplit(form.get("REQUEST_URI", "")).path
    return script.endswith(_SLASHING_SCRIPTS) or (
        script.endswith("/admin-ajax.php") and form.get("POST_action") == "replyto-comment")


def unslash(text: str) -> str:
    """PHP's ``stripslashes``, for text that ``addslashes`` could have made; other text is left as it is."""
    if not _ADDSLASHED.fullmatch(text):
        return text
    return _BACKSLASHED.sub(lambda found: "\0" if found[1] == "0" else found[1], text)


def blog_lang(value: str | None) -> str | None:
    """Akismet's ``blog_lang`` (``de_DE`` or ``en, fr_ca``): the first language, as a language tag."""
    first = (value or "").split(",", 1)[0].strip().replace("_", "-")
    return first if _LANG.match(first) else None


def gmt(value: str | None) -> str | None:
    """``comment_date_gmt`` (ISO 8601 or ``2026-11-26 09:15:00``), UTC unless it says otherwise; junk is dropped."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


#: The hidden field the WordPress plugin adds to the comment form, sent with the form's fields as ``POST_…``.
WORDPRESS_HONEYPOT = "POST_ak_hp_textarea"


def honeypot_filled(form: Form) -> bool:
    """Akismet's honeypot: the form names a hidden field (``honeypot_field_name``) that only a bot fills in;
    the WordPress plugin names none and sends its own field."""
    name = form.get("honeypot_field_name", "").strip()
    named = bool(name) and bool(form.get(name, "").strip())
    return named or bool(form.get(WORDPRESS_HONEYPOT, "").strip())


@routes.get("/1.1/test")
async def connection_test(request: web.Request) -> web.Response:
    """The plugin's connectivity check (its diagnostics on the settings page): no key, no comment."""
    return text("connected")


@routes.post("/1.1/verify-key")
@akismet_handler
async def verify_key(request: web.Request, form: Form) -> web.Response:
    authenticate(request, form, checked=True)
    return text("valid")


@routes.post("/1.1/comment-check")
@akismet_handler
async def comment_check(request: web.Request, form: Form) -> web.Response:
    _, site_id = authenticate(request, form)
    comment = to_comment(request, site_id, form)
    # Answered by protocol rule, unscored and not kept: no record, so no X-Moderation-Id.
    if honeypot_filled(form):  # only a bot fills the hidden field: spam, not worth a score or a moderator's time
        return text("true", {"X-akismet-guid": public_id(site_id, comment.identity()), "X-akismet-pro-tip": "discard",
                             DECISION_HEADER: Decision.SPAM.value})
    if is_administrator(form):  # Akismet never flags the blog's admins
        return text("false", {"X-akismet-guid": public_id(site_id, comment.identity()),
                              DECISION_HEADER: Decision.PUBLISH.value})
    keep = not is_test(form)
    record, kept = await recheck_of_named_record(request, site_id, form, comment) if keep else (None, False)
    if record is None:
        record, kept = await decide(request, comment, keep=keep), keep
    headers = {"X-akismet-guid": record.id, **decision_headers(record, kept=kept)}
    if is_blatant_spam(record):
        headers["X-akismet-pro-tip"] = "discard"
    # Where the comment stands now, not what was first answered: a recheck of a held comment that a
    # moderator (or the blog, through submit-ham) has approved since must not send it back to spam.
    return text("false" if record.status in PUBLIC else "true", headers)


#: The statuses Akismet's ``false`` stands for: the comment may be shown.
PUBLIC = frozenset({Status.PUBLISHED, Status.APPROVED})


def is_administrator(form: Form) -> bool:
    """``user_role``: WordPress sends the user's roles comma-separated (``administrator,super_admin``)."""
    return "administrator" in {role.strip().lower() for role in form.get("user_role", "").split(",")}


def is_test(form: Form) -> bool:
    """Akismet's ``is_test``: answer as usual, but keep nothing (no record, no queue entry, no label)."""
    return form.get("is_test", "").strip().lower() in TRUE


def reported_by_this_service(request: web.Request, site_id: str, form: Form) -> bool:
    """A report the plugin makes of a status change this service made in WordPress (its REST API user is the
    ``reporter``): not the admin's correction, only this service's own decision heard back. Taken as the
    blog's, it could decide a comment a moderator reopened meanwhile."""
    wordpress = request.app[SITES].get(site_id).wordpress
    return wordpress is not None and form.get("reporter", "").strip().casefold() == wordpress.user.casefold()


async def submit_correction(request: web.Request, form: Form, spam: int) -> web.Response:
    """The blog's admin marked a comment spam or not spam. WordPress sends the comment as it was first checked
    (its ``akismet_as_submitted``), so it is found by its identity: held, it leaves the queue decided so;
    otherwise the correction is kept as a labelled example (see :func:`.corrections.correction_follow_up`).
    Without a record here yet (it may wait in a spool) the decision is kept too, for when it arrives.
    ``X-Moderation-Outcome`` says what the report did, as for submit-status (``kept`` among them)."""
    principal, site_id = authenticate(request, form)
    comment = to_comment(request, site_id, form)
    if is_test(form):
        return text(THANKS)
    if reported_by_this_service(request, site_id, form):
        return text(THANKS)
    report = BlogReport("correction", Action.SPAM if spam else Action.APPROVE, principal.name, "akismet",
                        labels={"spam": spam}, version=comment.version())
    record_id = await reported_record_id(request, site_id, form, comment)
    decided = await reported_decision(request, record_id, report, comment)
    return text(THANKS, {OUTCOME_HEADER: decided.outcome})


@routes.post("/1.1/submit-spam")
@akismet_handler
async def submit_spam(request: web.Request, form: Form) -> web.Response:
    return await submit_correction(request, form, spam=1)


@routes.post("/1.1/submit-ham")
@akismet_handler
async def submit_ham(request: web.Request, form: Form) -> web.Response:
    return await submit_correction(request, form, spam=0)


#: The field in which the must-use plugin names the record of a comment WordPress stored (see comment-stored).
NAMED_RECORD = "moderation_service_id"


def named_record_id(site_id: str, form: Form) -> str | None:
    """The record the must-use plugin names for the comment, if it is an id of this site's."""
    value = form.get(NAMED_RECORD, "").strip()
    parts = split_public_id(value)
    return value if parts is not None and parts[0] == site_id else None


async def named_record(request: web.Request, site_id: str, form: Form) -> Record | None:
    """The record the must-use plugin names, while it is kept: a recheck of that comment is answered from it,
    whatever WordPress's filters did to its text (see :mod:`moderation_service.reading`)."""
    record_id = named_record_id(site_id, form)
    if record_id is None:
        return None
    with kept_or_unavailable(request, "the comment"):
        return await request.app[STORE].get(record_id)


async def recheck_of_named_record(request: web.Request, site_id: str, form: Form,
                                  comment: Comment) -> tuple[Record | None, bool]:
    """A recheck of a comment whose record the must-use plugin names is answered from that record (kept),
    whatever WordPress's filters did to its text; ``None`` when none is named, or the record is gone. With
    Redis away, it is scored and answered under that record's id, but not kept: spooled under the stored
    text's identity, it would wait twice once Redis is back."""
    record_id = named_record_id(site_id, form)
    if record_id is None:
        return None, False
    if request.app[HEALTH].ok:
        try:
            return await named_record(request, site_id, form), True
        except StorageUnavailable:
            pass
    return dataclasses.replace(await decide(request, comment, keep=False), id=record_id), False


async def reported_record_id(request: web.Request, site_id: str, form: Form, comment: Comment) -> str:
    """The record a report is about: the one the must-use plugin names, while it is kept, else the one the
    comment's identity gives."""
    record = await named_record(request, site_id, form)
    return record.id if record is not None else public_id(site_id, comment.identity())


@routes.post("/1.1/get-subscription")
@akismet_handler
async def get_subscription(request: web.Request, form: Form) -> web.Response:
    """The account behind a key, as the WordPress plugin asks before it saves a key on its settings page
    (and shows on it): this service has no plan or billing, so the site's subscription is simply active."""
    _, site_id = authenticate(request, form, checked=True)
    name = request.app[SITES].get(site_id).name or site_id
    return web.json_response({"account_id": site_id, "account_name": name, "account_type": "self-hosted",
                              "status": "active", "next_billing_date": None, "limit_reached": False})


@routes.post("/1.1/deactivate")
@akismet_handler
async def deactivate(request: web.Request, form: Form) -> web.Response:
    """The plugin says so when it is deactivated; a key stays valid here until the key file drops it."""
    authenticate(request, form, checked=True)
    return text("deactivated")


@routes.post("/1.1/get-stats")
@akismet_handler
async def get_stats(request: web.Request, form: Form) -> web.Response:
    """The WordPress plugin's settings page asks for Akismet's statistics of the blog: this service keeps none
    in that form, and an empty answer is the plugin's "no statistics" (any JSON body it reads as statistics,
    and PHP 8 then warns of each missing number)."""
    authenticate(request, form, checked=True)
    return text("")


@routes.get("/1.2/usage-limit")
@routes.post("/1.2/usage-limit")
@akismet_handler
async def usage_limit(request: web.Request, form: Form) -> web.Response:
    if submitter(request, presented_key(request, form), akismet=True) is None:
        raise Invalid("Invalid key: send one of this service's blog API keys as api_key (or key), "
                      "or as the leftmost label of the host name.")
    # This service has no plan and does not meter calls: never a limit, never throttled.
    return web.json_response({"limit": "none", "usage": 0, "percentage": "0", "throttled": False})
