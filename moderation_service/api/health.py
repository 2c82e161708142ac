"""``/healthz`` (the process runs) and ``/readyz`` (it can decide; degraded when Redis is unreachable)."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import HEALTH, MODELS, SPOOL

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """200 while the service can answer: ``ok``, or ``degraded`` when Redis is down and records are spooled."""
    health = request.app[HEALTH]
    holder = request.app[MODELS]
    model = holder.current
    spooled, rejected = await request.app[SPOOL].counts()
    body = {
        "status": "ok" if health.ok and holder.state.last_error is None else "degraded",
        "checks": {
            "redis": {"ok": health.ok, "error": health.error, "warnings": health.warnings},
            # ok stays True while a model serves; a refused reload shows in reload_error.
            "model": {"ok": True, "version": model.version, "reload_error": holder.state.last_error},
            # rejected: records Redis could not take, kept in the spool files' 'rejected' tables (see the log).
            "spool": {"pending": spooled, "rejected": rejected},
        },
    }
    return web.json_response(body)
