"""The application factory: wiring only. Every resource is opened and closed by its own cleanup context."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from functools import partial

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from . import __version__
from .api import akismet, comments, coral, health, ops, perspective, review, wordpress_plugin
from .api import metrics as metrics_api
from .api.blog_reports import settle_kept_decision
from .api.middlewares import auth_middleware, common_headers, error_middleware, metrics_middleware
from .appkeys import (
    BACKGROUND,
    DECISIONS,
    EVALUATOR,
    HEALTH,
    HTTP,
    KEYRING,
    LABELS,
    METRICS,
    MODELS,
    OUTBOX,
    QUEUE,
    REDIS,
    SETTINGS,
    SITES,
    SPOOL,
    STORE,
)
from .auth import load_keyring
from .decisions import DecisionPath, Evaluator, RedisHealth
from .exceptions import ConfigurationError
from .identity import Hasher, load_or_create_secret
from .live_model import ModelHolder, resolve_model_dir
from .logs import ServerLog
from .metrics import Metrics
from .redis_connection import REDIS_DOWN, configuration_warnings, connection_pool
from .review import keys
from .review.batching import Batcher
from .review.labels import LabelStore
from .review.outbox import Outbox, WebhookPolicy
from .review.queue import ReviewQueue
from .review.spool import Spool
from .review.store import CommentStore
from .settings import Settings, body_bytes_for
from .signals.stateful import SignalState
from .sites import load_sites
from .ui import pages as ui

logger = logging.getLogger(__name__)

SPOOL_CHECK_SECONDS = 1.0
WEBHOOK_CHECK_SECONDS = 1.0


async def configuration_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[KEYRING] = load_keyring(settings.api_keys_json, settings.api_keys_file)
    app[SITES] = load_sites(settings.sites_file)
    if settings.max_body_bytes < body_bytes_for(settings.max_content_chars):
        logger.warning(
            "MODERATION_MAX_BODY_BYTES (%d) is less than a comment of MODERATION_MAX_CONTENT_CHARS (%d) characters "
            "may take as JSON (%d bytes, with every character escaped): such a comment gets 413 instead of a decision",
            settings.max_body_bytes, settings.max_content_chars, body_bytes_for(settings.max_content_chars))
    yield


async def model_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    follow = None if settings.model_dir is not None else settings.models_dir
    app[MODELS] = ModelHolder.load(resolve_model_dir(settings.model_dir, settings.models_dir), follow)
    yield


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.redis_url is None:
        raise ConfigurationError("REDIS_URL is not set ('moderation-service serve' starts a private Redis for you)")
    pool = connection_pool(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        # Wait for a free connection rather than fail with "Too many connections" under load.
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_timeout,
        # Fail fast (redis-py's default retries for seconds): the spool takes over while Redis is away. The
        # retries are the pool's (redis-py ignores a client's own once it is given a pool): a pooled connection
        # that a Redis restart broke fails its next command, which goes again on a new one instead of passing
        # for an outage. A timeout is not retried: the command may have run, and a script must not run twice.
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 2, supported_errors=(RedisConnectionError,)),
    )
    redis = Redis(connection_pool=pool)
    app[REDIS] = redis
    app[HEALTH] = RedisHealth()
    try:
        await redis.ping()
        app[HEALTH].warnings = await configuration_warnings(redis)
    except REDIS_DOWN as exc:  # the service starts and answers anyway
        app[HEALTH].down(exc)
    except ResponseError as exc:  # Redis answers, and refuses us: waiting will not help
        await redis.aclose(close_connection_pool=True)
        hint = (" (a database number must be below the server's 'databases' setting, 16 by default)"
                if "DB index" in str(exc) else "")
        raise ConfigurationError(f"REDIS_URL: the Redis server refuses it: {exc}{hint}") from None
    yield
    await redis.aclose(close_connection_pool=True)


async def decisions_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    secret = (settings.identity_secret.encode() if settings.identity_secret
              else load_or_create_secret(settings.identity_secret_file))
    batcher = Batcher(app[REDIS])
    app[LABELS] = LabelStore(app[REDIS])
    app[QUEUE] = ReviewQueue(app[REDIS], app[SITES], settings.decision_ttl_days * 86400, settings.review_lease_seconds)
    # A decision of the blog's own kept while its comment had no record here, and an erasure asked for then, are
    # applied as the record arrives (from a spool).
    app[STORE] = CommentStore(app[REDIS], settings.decision_ttl_days * 86400, batcher,
                              settle=partial(settle_kept_decision, app), erase=app[QUEUE].erase_arrived)
    app[OUTBOX] = Outbox(app[REDIS], app[SITES], WebhookPolicy(
        settings.webhook_max_attempts, settings.webhook_timeout, settings.webhook_backoff_seconds), app[METRICS],
        app[STORE])
    app[SPOOL] = Spool(settings.spool_dir, f"spool-{os.getpid()}")
    app[EVALUATOR] = Evaluator(app[MODELS], app[SITES])
    app[DECISIONS] = DecisionPath(app[EVALUATOR], app[STORE], app[SPOOL], app[HEALTH], SignalState(batcher),
                                  Hasher(secret), app[METRICS])
    yield
    await app[SPOOL].close()


async def deliver_spooled_records(app: web.Application) -> None:
    """Watch Redis while it is down; once it answers, deliver what was spooled meanwhile."""
    health, spool = app[HEALTH], app[SPOOL]
    while True:
        await asyncio.sleep(SPOOL_CHECK_SECONDS)
        if health.ok and not spool.maybe_pending:
            continue
        try:
            await app[REDIS].ping()
            if not health.ok:  # back (or there for the first time): what could it lose? (a restart may change it)
                health.warnings = await configuration_warnings(app[REDIS])
            await spool.drain(app[STORE])
        except REDIS_DOWN as exc:
            health.down(exc)
            continue
        except Exception:  # not Redis being down: it answered, so serve from it, and retry the rest later
            logger.exception("delivering the spool failed; retrying in %s s", SPOOL_CHECK_SECONDS)
        health.up()


async def http_client_ctx(app: web.Application) -> AsyncIterator[None]:
    app[HTTP] = aiohttp.ClientSession(headers={"User-Agent": f"moderation-service/{__version__}"})
    yield
    await app[HTTP].close()


async def listen_for_promotions(app: web.Application) -> None:
    """Reload when any process or host announces a promotion on Redis (shared models/ volume).

    A notice published while this process was not subscribed (Redis away, or before it started) reaches it
    all the same: the promoting command also keeps it in Redis (``keys.promoted_model``), and every
    subscription, ours or redis-py's own after a reconnect, is confirmed by a ``subscribe`` message, on which
    the kept notice is read and followed like a heard one."""
    channel = keys.reload_channel(app[REDIS].connection_pool.connection_kwargs.get("db", 0))
    while True:
        try:
            async with app[REDIS].pubsub() as pubsub:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await app[MODELS].follow_notice(message["data"], f"a notice on {channel}")
                    elif message.get("type") == "subscribe" and (kept := await app[REDIS].get(
                            keys.promoted_model())) is not None:
                        await app[MODELS].follow_notice(kept, f"the promotion kept in {keys.promoted_model()}")
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis away: listen again later
            await asyncio.sleep(SPOOL_CHECK_SECONDS * 5)


async def migrate_stored_data(app: web.Application) -> None:
    """One-off changes to data an earlier release stored: each runs once per Redis, tried again every 5 s
    while Redis is away or another process is at it."""
    while True:
        try:
            given = await app[QUEUE].expire_author_history()
        except REDIS_DOWN:
            given = None
        except Exception:  # Redis answered: a defect; retry, and say so
            logger.exception("giving authors' histories an expiry failed; retrying in %s s", SPOOL_CHECK_SECONDS * 5)
            given = None
        if given is not None:
            if given:
                logger.info("gave %d authors' histories stored without an expiry one", given)
            return
        await asyncio.sleep(SPOOL_CHECK_SECONDS * 5)


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    app[BACKGROUND] = [
        asyncio.create_task(migrate_stored_data(app), name="migrations"),
        asyncio.create_task(deliver_spooled_records(app), name="spool-delivery"),
        asyncio.create_task(app[OUTBOX].run(app[HTTP], WEBHOOK_CHECK_SECONDS), name="webhook-delivery"),
        asyncio.create_task(app[MODELS].watch_pointer(), name="model-pointer-watch"),
        asyncio.create_task(listen_for_promotions(app), name="model-promotions"),
    ]
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[None]] = set()

    async def reload_on_sighup() -> None:
        if not await app[MODELS].reload_quietly("SIGHUP"):  # said, so that an operator's kill -HUP is answered
            logger.info("after SIGHUP %s keeps serving", app[MODELS].current.version)

    def on_sighup() -> None:
        task = asyncio.create_task(reload_on_sighup())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        handles_sighup = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        handles_sighup = False
    yield
    if handles_sighup:
        loop.remove_signal_handler(signal.SIGHUP)
    await stop_tasks(app[BACKGROUND])


async def stop_tasks(tasks: list[asyncio.Task[None]], patience: float = 2.0) -> None:
    """Cancel ``tasks`` and wait for them. A cancellation can get lost on its way through a library call
    (seen once: the spool task asleep again after its cancel, and the shutdown waiting for it): whatever still
    runs after ``patience`` seconds is cancelled again, so that shutting down never hangs."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=patience)
        for task in pending:
            logger.warning("background task %s ignored a cancellation; cancelling it again", task.get_name())
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s had failed", task.get_name(), exc_info=task.exception())


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[metrics_middleware, error_middleware, auth_middleware],
        client_max_size=settings.max_body_bytes,
        handler_args={"logger": ServerLog()},
    )
    app.on_response_prepare.append(common_headers)
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app.cleanup_ctx.extend([configuration_ctx, model_ctx, redis_ctx, decisions_ctx, http_client_ctx, background_ctx])
    app.add_routes(health.routes)
    app.add_routes(metrics_api.routes)
    app.add_routes(comments.routes)
    app.add_routes(review.routes)
    app.add_routes(ops.routes)
    app.cleanup_ctx.append(ui.ui_ctx)
    app.add_routes(ui.routes)
    # Protocol adapters and other route tables are added here, one line each.
    app.add_routes(akismet.routes)
    app.add_routes(wordpress_plugin.routes)
    app.add_routes(perspective.routes)
    app.add_routes(coral.routes)
    return app
