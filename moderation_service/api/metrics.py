"""``GET /metrics``: Prometheus's text format, for a ``monitor`` (or ``admin``) key. See :mod:`..metrics`."""

from __future__ import annotations

from aiohttp import web

from ..appkeys import HEALTH, METRICS, MODELS, OUTBOX, QUEUE, SPOOL
from ..auth import Permission
from ..metrics import CONTENT_TYPE, SiteState, Snapshot, exposition
from ..redis_connection import REDIS_DOWN
from .middlewares import require

routes = web.RouteTableDef()


async def snapshot(app: web.Application) -> Snapshot:
    """What the service holds now. Redis away is a value (``moderation_redis_up 0``), never a failed scrape."""
    holder, health = app[MODELS], app[HEALTH]
    spool_pending, spool_rejected = await app[SPOOL].counts()
    taken = Snapshot(redis_up=health.ok, model_version=holder.current.version,
                     model_reload_failed=holder.refusal() is not None,
                     spool_pending=spool_pending, spool_rejected=spool_rejected)
    if not health.ok:
        return taken
    queue = app[QUEUE]
    try:
        depths = await queue.depths(await queue.known_sites())
        due = await app[OUTBOX].due()
    except REDIS_DOWN as exc:
        health.down(exc)
        taken.redis_up = False
        return taken
    sites = {site_id: SiteState(*depth) for site_id, depth in depths.items()}
    for site_id, count in due.items():
        sites.setdefault(site_id, SiteState()).webhooks_due = count
    taken.sites = dict(sorted(sites.items()))
    return taken


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    require(request, Permission.METRICS)
    body = exposition(request.app[METRICS], await snapshot(request.app))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
