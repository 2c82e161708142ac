"""Google's Perspective API (v1alpha1), so that Perspective clients such as Coral switch by changing the endpoint.

``comments:analyze`` scores the text with our model and answers Perspective's shapes; ``SPAM`` is this
service's own attribute next to Perspective's six. Without ``doNotStore`` the comment goes through the one
decision path like any other (kept, and queued for moderators when the site's policy holds it); with
``doNotStore: true`` it is scored and nothing of it is kept. ``comments:suggestscore`` keeps the suggested
scores as a labelled example. Errors use Google's JSON error shape. The key is a blog API key of this service
(``?key=`` or ``X-Goog-Api-Key``); a key valid for several sites names the site in ``communityId``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from aiohttp import web
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..appkeys import MODELS, SETTINGS
from ..auth import ALL_SITES, Principal
from ..comments import public_id
from ..exceptions import (
    Forbidden,
    InvalidFields,
    MalformedRequest,
    ModerationError,
    describe_validation,
)
from ..jsonfast import json_response
from ..model.attributes import TOXICITY_FAMILY
from ..model.text import strip_html
from ..review.queue import Action
from .blog_reports import BlogReport, reported_decision, suggestion_name
from .comments import read_json_object
from .corrections import add_label
from .protocols import (
    build_comment,
    decide,
    decision_headers,
    describe_invalid,
    site_for,
    submitter,
)

routes = web.RouteTableDef()

#: Perspective's name -> our score's name: Perspective's six production attributes, plus our own SPAM.
ATTRIBUTE_NAMES = {name.upper(): name for name in (*TOXICITY_FAMILY, "spam")}
SUPPORTED_LANGUAGES = ("de", "en")
#: The feedback Coral Talk's Perspective integration sends: an approved comment is neither spam nor toxic.
COMMENT_STATUS_LABELS = {"APPROVED": {"spam": 0, "toxicity": 0}}
GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 503: "UNAVAILABLE"}
OUR_NAMES = {"content": "comment.text", "lang": "languages"}
_SENTENCE = re.compile(r"[^\s.!?…][^.!?…\n]*[.!?…]*")
_WORD = re.compile(r"[^\W\d_]+")
#: The most common words of each supported language (none shared), for telling German from English.
_STOPWORDS = {
    "de": frozenset({
        "der", "die", "das", "und", "ist", "nicht", "ich", "du", "sie", "es", "ein", "eine", "einen", "zu",
        "mit", "auf", "für", "von", "den", "dem", "sich", "auch", "wie", "aber", "wir", "ihr", "bist",
        "sind", "hat", "haben", "noch", "nur", "dass", "kein", "keine", "mein", "dein", "sehr", "doch",
        "schon", "oder", "danke", "bitte", "nach", "bei", "aus", "wird", "werden", "diese", "dieser", "hier"
    }),
    "en": frozenset({
        "the", "and", "is", "not", "you", "are", "a", "to", "of", "it", "that", "this", "for", "with", "on",
        "be", "have", "has", "i", "we", "they", "your", "my", "but", "or", "what", "if", "just", "very",
        "thanks", "do", "does", "at", "he", "she", "from", "by", "will", "would", "can", "there", "their",
        "been", "were"
    }),
}
MAX_SPANS = 100


class TextEntrySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    text = fields.String(required=True)
    type = fields.String(load_default="PLAIN_TEXT", validate=validate.OneOf(
        ["PLAIN_TEXT", "HTML", "TEXT_TYPE_UNSPECIFIED"]))


class AttributeParametersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    score_type = fields.String(data_key="scoreType", load_default="PROBABILITY", validate=validate.OneOf(
        ["PROBABILITY"], error="Only PROBABILITY scores are supported."))
    score_threshold = fields.Float(data_key="scoreThreshold", load_default=None, validate=validate.Range(0, 1))


class _RequestSchema(Schema):
    """What analyze and suggestscore share. Unknown fields are ignored (Google would reject them)."""

    class Meta:
        unknown = EXCLUDE

    comment = fields.Nested(TextEntrySchema, required=True)
    languages = fields.List(fields.String(validate=validate.Length(max=35)), load_default=list)
    community_id = fields.String(data_key="communityId", load_default=None)
    client_token = fields.String(data_key="clientToken", load_default=None)
    session_id = fields.String(data_key="sessionId", load_default=None)
    context = fields.Dict(load_default=None)  # accepted; the model scores the comment alone


class AnalyzeRequestSchema(_RequestSchema):
    requested_attributes = fields.Dict(data_key="requestedAttributes", keys=fields.String(),
                                       values=fields.Nested(AttributeParametersSchema), required=True,
                                       validate=validate.Length(min=1, error="Request at least one attribute."))
    span_annotations = fields.Boolean(data_key="spanAnnotations", load_default=False)
    do_not_store = fields.Boolean(data_key="doNotStore", load_default=False)


class ScoreSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    value = fields.Float(required=True, validate=validate.Range(0, 1))
    type = fields.String(load_default="PROBABILITY")


class AttributeScoresSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    summary_score = fields.Nested(ScoreSchema, data_key="summaryScore", required=True)


class SuggestRequestSchema(_RequestSchema):
    attribute_scores = fields.Dict(data_key="attributeScores", keys=fields.String(),
                                   values=fields.Nested(AttributeScoresSchema), required=True,
                                   validate=validate.Length(min=1, error="Suggest at least one attribute's score."))


ANALYZE_SCHEMA = AnalyzeRequestSchema()
SUGGEST_SCHEMA = SuggestRequestSchema()


def google_error(code: int, message: str, details: list[dict[str, Any]] | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message, "status": GOOGLE_STATUS.get(code, "INTERNAL")}
    if details:
        error["details"] = details
    return web.json_response({"error": error}, status=code)


def google_errors(handler: Callable[[web.Request], Awaitable[web.Response]]) -> Callable[[web.Request],
                                                                                          Awaitable[web.Response]]:
    """Answer our errors in Google's shape: ``{"error": {"code", "message", "status"}}``."""

    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except InvalidFields as exc:
            return google_error(400, describe_invalid(exc, OUR_NAMES))
        except ModerationError as exc:
            code = 400 if exc.status in (413, 422) else exc.status
            return google_error(code, exc.message, exc.details.get("details"))
        except web.HTTPRequestEntityTooLarge:
            limit = request.app[SETTINGS].max_body_bytes
            return google_error(400, f"Request payload size exceeds the limit: {limit} bytes "
                                     "(MODERATION_MAX_BODY_BYTES).")

    return wrapped


def caller(request: web.Request) -> Principal:
    key = request.query.get("key") or request.headers.get("X-Goog-Api-Key")
    if not key:
        raise Forbidden("The request is missing a valid API key.")
    principal = submitter(request, key)
    if principal is None:
        raise MalformedRequest("API key not valid. Please pass a valid API key (a blog API key of this service).")
    return principal


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise MalformedRequest(f"Invalid request: {describe_validation(exc.messages)}") from None


def site_of(principal: Principal, community_id: str | None) -> str:
    site_id = site_for(principal, community_id)
    if site_id is None and community_id:
        shown = community_id if len(community_id) <= 200 else community_id[:200] + "…"
        raise Forbidden(f"communityId '{shown}' is not a site of this key: set it to one of "
                        f"{', '.join(sorted(principal.sites - {ALL_SITES}))} (a client that cannot, such as Coral, "
                        "which sends its tenant's URL there, needs a key for one site).")
    if site_id is None:
        raise Forbidden("This key is valid for several sites: set communityId to the id of the site "
                        "the comment belongs to.")
    return site_id


def entry_text(entry: Mapping[str, str]) -> str:
    """The comment's text; HTML is reduced to text as the model sees it (links kept, tags gone)."""
    return strip_html(entry["text"]) if entry["type"] == "HTML" else entry["text"]


def requested_attributes(requested: Mapping[str, Mapping[str, Any]],
                         untrained: Collection[str] = ()) -> dict[str, float | None]:
    """Perspective name -> score threshold (``None``: every score), for attributes this service scores.

    ``untrained``: our scores the model in service was trained without labels for (always 0): asked for,
    they are refused like an unknown attribute rather than answered with a score that means nothing.
    """
    scored = [name for name in ATTRIBUTE_NAMES if ATTRIBUTE_NAMES[name] not in untrained]
    unknown = sorted(name for name in requested if name not in ATTRIBUTE_NAMES)
    unscored = sorted(name for name in requested if name in ATTRIBUTE_NAMES and name not in scored)
    if unknown or unscored:
        problems = [f"{', '.join(unknown)} not supported"] if unknown else []
        if unscored:
            them = "it" if len(unscored) == 1 else "them"
            problems.append(f"{', '.join(unscored)} not supported by the model in service (trained without "
                            f"labels for {them})")
        raise MalformedRequest(f"Requested attribute(s) {'; '.join(problems)}; this service scores "
                               f"{', '.join(scored)}.")
    return {name: parameters["score_threshold"] for name, parameters in requested.items()}


def detect_language(text: str) -> str | None:
    """German or English by their most common words; ``None`` when the text gives no clue."""
    words = _WORD.findall(text.lower())
    hits = {lang: sum(word in stopwords for word in words) for lang, stopwords in _STOPWORDS.items()}
    best = max(hits, key=hits.__getitem__)
    return best if hits[best] > 0 and list(hits.values()).count(hits[best]) == 1 else None


def languages_for(requested: list[str], text: str, attributes: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The languages to score in (requested, else detected, else ``en``) and the detected ones."""
    detected = [lang] if (lang := detect_language(text)) else []
    languages = [value.strip().lower().replace("_", "-") for value in requested] or detected or ["en"]
    unsupported = [lang for lang in languages if lang.split("-", 1)[0] not in SUPPORTED_LANGUAGES]
    if unsupported:
        attribute = next(iter(attributes), "TOXICITY")
        raise MalformedRequest(
            f"Attribute {attribute} does not support request languages: {', '.join(unsupported)}",
            details=[{"@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
                      "errorType": "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"}])
    return languages, detected


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Begin and end (exclusive, in characters) of each sentence, at most :data:`MAX_SPANS`."""
    spans = [(m.start(), m.start() + len(m.group().rstrip())) for m in _SENTENCE.finditer(text)]
    return spans[:MAX_SPANS] or [(0, len(text))]


def span_scores(request: web.Request, text: str, summary: dict[str, float], annotate: bool) -> list[
        tuple[int, int, dict[str, float]]]:
    """Scores per sentence with ``spanAnnotations``, else one span (the whole text) with the summary scores."""
    spans = sentence_spans(text) if annotate else [(0, len(text))]
    if len(spans) == 1:
        return [(*spans[0], summary)]
    model = request.app[MODELS].current
    return [(begin, end, model.scores(text[begin:end])) for begin, end in spans]


def probability(value: float) -> dict[str, Any]:
    return {"value": value, "type": "PROBABILITY"}


def attribute_scores(requested: Mapping[str, float | None], summary: Mapping[str, float],
                     spans: list[tuple[int, int, dict[str, float]]]) -> dict[str, Any]:
    """Perspective's ``attributeScores``; a score under the attribute's ``scoreThreshold`` is left out."""
    result = {}
    for name, threshold in requested.items():
        ours, floor = ATTRIBUTE_NAMES[name], threshold or 0.0
        if summary[ours] < floor:
            continue
        result[name] = {
            "spanScores": [{"begin": begin, "end": end, "score": probability(scores[ours])}
                           for begin, end, scores in spans if scores[ours] >= floor],
            "summaryScore": probability(summary[ours]),
        }
    return result


def echoed(body: Mapping[str, Any]) -> dict[str, str]:
    return {"clientToken": body["client_token"]} if body["client_token"] is not None else {}


@routes.post("/v1alpha1/comments:analyze")
@google_errors
async def analyze(request: web.Request) -> web.Response:
    principal = caller(request)
    body = load(ANALYZE_SCHEMA, await read_json_object(request))
    attributes = requested_attributes(body["requested_attributes"], request.app[MODELS].current.untrained)
    text = entry_text(body["comment"])
    languages, detected = languages_for(body["languages"], text, attributes)
    comment = build_comment(request, {"site_id": site_of(principal, body["community_id"]), "content": text,
                                      "lang": languages[0]})
    keep = not body["do_not_store"]
    record = await decide(request, comment, keep=keep)
    spans = span_scores(request, text, record.scores, body["span_annotations"])
    response = {"attributeScores": attribute_scores(attributes, record.scores, spans), "languages": languages,
                "detectedLanguages": detected, **echoed(body)}
    return json_response(response, headers=decision_headers(record, kept=keep))


def suggested_labels(suggested: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """Our labels from suggested scores: an attribute's score of at least 0.5 means yes.

    Coral's comment statuses (``APPROVED``) count too; other names are ignored, as Perspective accepts
    attributes it does not score.
    """
    labels: dict[str, int] = {}
    for name, scores in suggested.items():
        if name in COMMENT_STATUS_LABELS and scores["summary_score"]["value"] >= 0.5:
            labels = {**COMMENT_STATUS_LABELS[name], **labels}
    for name, scores in suggested.items():
        if name in ATTRIBUTE_NAMES:
            labels[ATTRIBUTE_NAMES[name]] = int(scores["summary_score"]["value"] >= 0.5)
    return labels


def coral_decision(suggested: Mapping[str, Mapping[str, Any]]) -> Action | None:
    """Coral's moderator approved the comment (a suggestion of ``APPROVED`` alone). Coral's ``DELETED`` says
    too little to decide on: it rejects spam and off-topic comments too, not only toxic ones."""
    if set(suggested) == {"APPROVED"} and suggested["APPROVED"]["summary_score"]["value"] >= 0.5:
        return Action.APPROVE
    return None


@routes.post("/v1alpha1/comments:suggestscore")
@google_errors
async def suggest_score(request: web.Request) -> web.Response:
    principal = caller(request)
    body = load(SUGGEST_SCHEMA, await read_json_object(request))
    text = entry_text(body["comment"])
    detected = [lang] if (lang := detect_language(text)) else []
    requested = [value.strip().replace("_", "-") for value in body["languages"]]
    comment = build_comment(request, {"site_id": site_of(principal, body["community_id"]), "content": text,
                                      "lang": (requested or detected or [None])[0]})
    # Coral's moderator decided a comment that an analyze call kept (doNotStore false) and may hold here too:
    # decided so, with the decision's label; else the suggestion is a label. Without a record here (it may
    # wait in a spool) the suggestion is a label at once and the decision is kept for the record: arriving, it
    # is decided so, and the decision's label replaces the suggestion's (see blog_reports.suggestion_follow_up).
    action = coral_decision(body["attribute_scores"])
    labels = suggested_labels(body["attribute_scores"])
    if action is not None:
        report = BlogReport("suggestion", action, principal.name, "perspective", labels=labels,
                            version=comment.version())
        await reported_decision(request, public_id(comment.site_id, comment.identity()), report, comment)
    elif labels:  # a retry of the same suggestion keeps no second example
        await add_label(request, comment, labels, source="perspective", principal=principal,
                        once=suggestion_name(labels), replaces_others=False)
    return web.json_response({"detectedLanguages": detected, "requestedLanguages": requested, **echoed(body)})
