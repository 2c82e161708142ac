"""Typed keys for everything the application holds (no module-level state)."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from .auth import Keyring
from .decisions import DecisionPath, Evaluator, RedisHealth
from .live_model import ModelHolder
from .metrics import Metrics
from .review.labels import LabelStore
from .review.outbox import Outbox
from .review.queue import ReviewQueue
from .review.spool import Spool
from .review.store import CommentStore
from .settings import Settings
from .sites import Sites

SETTINGS = web.AppKey("settings", Settings)
KEYRING = web.AppKey("keyring", Keyring)
SITES = web.AppKey("sites", Sites)
MODELS = web.AppKey("models", ModelHolder)
REDIS = web.AppKey("redis", Redis)
HEALTH = web.AppKey("health", RedisHealth)
STORE = web.AppKey("store", CommentStore)
LABELS = web.AppKey("labels", LabelStore)
QUEUE = web.AppKey("queue", ReviewQueue)
OUTBOX = web.AppKey("outbox", Outbox)
HTTP = web.AppKey("http", aiohttp.ClientSession)
SPOOL = web.AppKey("spool", Spool)
EVALUATOR = web.AppKey("evaluator", Evaluator)
METRICS = web.AppKey("metrics", Metrics)
DECISIONS = web.AppKey("decisions", DecisionPath)
BACKGROUND = web.AppKey("background", list[asyncio.Task[None]])
