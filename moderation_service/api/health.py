"""``/healthz`` (the process runs) and ``/readyz`` (it can decide; degraded when Redis is unreachable)."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import HEALTH, MODELS, REDIS, SPOOL
from ..auth import Permission
from ..redis_connection import REDIS_DOWN
from .middlewares import PRINCIPAL

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """200 while the service can answer: ``ok``, or ``degraded`` when Redis is down and records are spooled.

    Why (Redis's error text, its configuration warnings, the model's version, a refused reload, which names
    the models folder's path) only to a key that may read ``/metrics``: a load balancer needs the status."""
    health = request.app[HEALTH]
    if health.ok:  # asked, not assumed: a quiet service would otherwise say ok long after Redis went away
        try:
            await request.app[REDIS].ping()
        except REDIS_DOWN as exc:
            health.down(exc)  # the spool takes the records now; its watcher notices Redis coming back
    holder = request.app[MODELS]
    model, refusal = holder.current, holder.refusal()
    spooled, rejected = await request.app[SPOOL].counts()
    body = {
        "status": "ok" if health.ok and refusal is None else "degraded",
        "checks": {
            "redis": {"ok": health.ok, "error": health.error, "warnings": health.warnings},
            # ok stays True while a model serves; a refused reload shows in reload_error.
            "model": {"ok": True, "version": model.version, "reload_error": refusal},
            # rejected: records Redis could not take, kept in the spool files' 'rejected' tables (see the log).
            "spool": {"pending": spooled, "rejected": rejected},
        },
    }
    principal = request.get(PRINCIPAL)
    if principal is None or not principal.can(Permission.METRICS):
        checks = body["checks"]
        body["checks"] = {"redis": {"ok": health.ok}, "model": {"ok": True}, "spool": checks["spool"]}
    return web.json_response(body)
