"""``/v1/ops/…``: operator endpoints (admin role): the model, label export and webhook deliveries."""

from __future__ import annotations

import json

from aiohttp import web

from ..appkeys import LABELS, MODELS, OUTBOX, QUEUE
from ..auth import Permission
from ..exceptions import Conflict, InvalidFields, NotFound
from ..live_model import ReloadFailed
from .middlewares import require

routes = web.RouteTableDef()

DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")


@routes.get("/v1/ops/labels")
async def export_labels(request: web.Request) -> web.StreamResponse:
    """Every collected labelled example as JSONL (the training schema), site by site, oldest first."""
    require(request, Permission.OPERATE)
    examples = request.app[LABELS].examples(request.query.get("site_id"))
    # The first read before the answer begins: Redis away is then a 503. Should it go away later, the error
    # middleware breaks the connection off, so a cut export never looks complete.
    first = await anext(examples, None)
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
    await response.prepare(request)
    if first is not None:
        await response.write(_ndjson_line(first[1]))
        async for _, example in examples:
            await response.write(_ndjson_line(example))
    await response.write_eof()
    return response


def _ndjson_line(example: dict[str, object]) -> bytes:
    return (json.dumps(example, ensure_ascii=False) + "\n").encode("utf-8")


def model_body(request: web.Request) -> dict[str, object]:
    holder = request.app[MODELS]
    model = holder.current
    return {
        "version": model.version,
        "directory": str(model.directory),
        "created_at": model.manifest.get("created_at"),
        "thresholds": model.thresholds,
        "untrained_attributes": list(model.untrained),
        "follows_live_pointer": holder.models_dir is not None,
        "reloads": holder.state.reloads,
        "last_reload_error": holder.refusal(),
    }


@routes.get("/v1/ops/model")
async def current_model(request: web.Request) -> web.Response:
    require(request, Permission.OPERATE)
    return web.json_response(model_body(request))


@routes.post("/v1/ops/model/reload")
async def reload_model(request: web.Request) -> web.Response:
    """Load the live model now (this process; other processes follow the pointer and the Redis notice)."""
    require(request, Permission.OPERATE)
    try:
        changed = await request.app[MODELS].reload(force=request.query.get("force") == "1")
    except ReloadFailed as exc:
        raise Conflict(f"The model was not reloaded and the current one keeps serving: {exc}",
                       current=request.app[MODELS].current.version) from None
    return web.json_response({**model_body(request), "changed": changed})


@routes.get("/v1/ops/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    require(request, Permission.OPERATE)
    status = request.query.get("status")
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidFields("Unknown delivery status.",
                            fields={"status": [f"Use one of {', '.join(DELIVERY_STATUSES)}."]})
    site_ids = [request.query["site_id"]] if "site_id" in request.query else await request.app[QUEUE].known_sites()
    report = {}
    for site_id in site_ids:
        deliveries = await request.app[OUTBOX].list(site_id, status)
        for delivery in deliveries:
            delivery["payload"] = json.loads(delivery["payload"])
        report[site_id] = deliveries
    return web.json_response({"sites": report})


@routes.post("/v1/ops/deliveries/{site_id}/{delivery_id}/retry")
async def retry_delivery(request: web.Request) -> web.Response:
    require(request, Permission.OPERATE)
    site_id, delivery_id = request.match_info["site_id"], request.match_info["delivery_id"]
    if not await request.app[OUTBOX].retry(site_id, delivery_id):
        raise NotFound(f"No failed delivery '{delivery_id}' for site '{site_id}'; only failed deliveries are retried.")
    return web.json_response({"id": delivery_id, "status": "pending"})
