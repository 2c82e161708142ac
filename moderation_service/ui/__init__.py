"""The moderator web UI at ``/moderate``: server-rendered pages, a little plain JavaScript, sessions in Redis.

Wiring: ``app.cleanup_ctx.append(ui_ctx)`` and ``app.add_routes(routes)`` from :mod:`.pages`. This module
imports nothing, so ``api.middlewares`` can use :mod:`.sessions` without a cycle.
"""
