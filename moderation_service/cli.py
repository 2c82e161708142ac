"""``moderation-service``: run the service, score comments in bulk, or connect a WordPress blog.

    moderation-service serve [--host HOST] [--port PORT] [--workers N]
    moderation-service score [--model DIR] [--site SITE] [INPUT] [-o OUTPUT]
    moderation-service wordpress-plugin --url URL [-o FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import io
import logging
import os
import re
import socket
import sys
from collections.abc import Sequence
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import IO

from aiohttp import web

from .auth import SITE_ID_PATTERN, load_keyring, write_starter_keys
from .exceptions import ConfigurationError
from .identity import load_or_create_secret
from .live_model import live_directory
from .logs import setup_logging
from .metrics import multiprocess_folder
from .settings import Settings
from .sites import load_sites
from .workers import Workers, stop_with_parent

logger = logging.getLogger("moderation_service")


def site_id(value: str) -> str:
    """``--site``: a site id as the API takes it (a line's own ``site_id`` is checked the same way)."""
    if not re.match(SITE_ID_PATTERN, value):
        raise argparse.ArgumentTypeError("use 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
                                         f"digit, not {value!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moderation-service", description=__doc__.splitlines()[0].replace("``", ""))
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service (settings from environment variables)")
    serve.add_argument("--host", help="interface to listen on (MODERATION_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (MODERATION_PORT, default 8080)")
    serve.add_argument("--workers", type=int, help="processes sharing the port (MODERATION_WORKERS, default 1)")
    score = commands.add_parser("score", help="score JSONL comments from a file or stdin, one JSON line out each")
    score.add_argument("input", nargs="?", default="-", help="JSONL file of comments ('-' or none: stdin)")
    score.add_argument("-o", "--output", default="-", help="where to write the JSONL results (default stdout)")
    score.add_argument("--model", type=Path, help="artifact directory (default: the live model)")
    score.add_argument("--site", type=site_id, default="default",
                       help="site id for lines without site_id (its thresholds apply)")
    plugin = commands.add_parser(
        "wordpress-plugin", help="write the WordPress must-use plugin that sends the Akismet plugin's calls here")
    plugin.add_argument("--url", required=True, help="this service's address as WordPress reaches it, such as "
                                                      "https://moderation.example")
    plugin.add_argument("-o", "--output", default="-", help="the file to write (wp-content/mu-plugins/"
                                                            "moderation-service.php; default stdout)")
    return parser


# ---------------------------------------------------------------- serve


def _ensure_api_keys(settings: Settings) -> Settings:
    if settings.api_keys_json or settings.api_keys_file:
        return settings
    path = settings.default_api_keys_file
    if not path.exists():
        write_starter_keys(path)
        logger.warning("no API keys were configured: created %s with a blog, a moderator, an admin "
                       "and a monitor key (site 'default'); read them there", path)
    return settings.with_overrides(api_keys_file=path)


def _check_port(settings: Settings) -> None:
    """Refuse a port another program listens on, before training a model or starting workers: a worker that
    cannot listen would otherwise fail after it started. (A service of ours on the port, with
    ``SO_REUSEPORT`` as workers use it, is not detected: the new workers join it.)"""
    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in infos:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if settings.workers > 1 and hasattr(socket, "SO_REUSEPORT"):
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                probe.bind(address)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise ConfigurationError(
                f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}): stop what uses the "
                "port, or choose another with MODERATION_PORT or --port") from None
        raise ConfigurationError(  # the host is no address of this machine (or no name it can resolve)
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc}): choose an address of this "
            "machine with MODERATION_HOST or --host (127.0.0.1, or 0.0.0.0 for every interface)") from None


def _ensure_model(settings: Settings) -> None:
    if settings.model_dir is not None or live_directory(settings.models_dir) is not None:
        return
    try:  # before minutes of training, not when writing its result
        settings.models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"MODERATION_MODELS_DIR: cannot create {settings.models_dir} ({exc.strerror}): "
                                 "name a folder this user may write to") from None
    if not os.access(settings.models_dir, os.W_OK):
        raise ConfigurationError(f"MODERATION_MODELS_DIR: this user may not write to {settings.models_dir}")
    from training.datasets import DatasetError, JsonlError
    from training.progress import Progress
    from training.train import load_data, new_version, train, write

    from .live_model import set_live

    progress = Progress()
    logger.warning("no model yet: training the default model from %s (a few minutes, once)",
                   ", ".join(map(str, settings.training_data)))
    try:
        datasets = load_data(settings.training_data, progress)
    except (DatasetError, JsonlError) as exc:
        raise ConfigurationError(f"MODERATION_TRAINING_DATA: {exc}") from None
    trained = train(datasets, report=progress)
    version = new_version()
    write(trained, settings.models_dir / version, version)
    set_live(settings.models_dir, version)
    print(trained.table, file=sys.stderr)
    progress(f"model {version} is live")


def _new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """uvloop where installed (it serves noticeably more requests per core), else asyncio's own loop."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _run_worker(settings: Settings, started: Event | None = None) -> None:
    """One service process; ``started`` is set once every resource is up (see :mod:`.workers`)."""
    from .app import create_app

    setup_logging(settings.log_level)
    app = create_app(settings)

    async def serving(_app: web.Application) -> None:  # runs after every cleanup context has started
        logger.info("serving on http://%s:%d", settings.host, settings.port)
        if started is not None:
            started.set()

    app.on_startup.append(serving)
    if started is not None:  # a worker process of Workers
        stop_with_parent()
    try:
        web.run_app(app, host=settings.host, port=settings.port, reuse_port=settings.workers > 1,
                    print=None, access_log=None, loop=_new_event_loop(settings.event_loop))
    except ConfigurationError as exc:  # in a worker process too: the message, not a traceback
        raise SystemExit(configuration_error(exc)) from None


def serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers))
                 if v is not None}  # --port 0 is refused as MODERATION_PORT=0 is, not ignored
    settings = settings.with_overrides(**overrides)
    setup_logging(settings.log_level)
    _check_port(settings)
    try:  # keys, the identity secret, the spool and the embedded Redis live there
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"MODERATION_DATA_DIR: cannot create {settings.data_dir} ({exc.strerror}): "
                                 "name a folder this user may write to") from None
    settings = _ensure_api_keys(settings)
    # Read now, as the workers will: a mistake there must not wait for the default model's training.
    load_keyring(settings.api_keys_json, settings.api_keys_file)
    load_sites(settings.sites_file)
    if settings.identity_secret is None:  # created once here, before workers start, so they share it
        load_or_create_secret(settings.identity_secret_file)
    embedded = None
    if settings.redis_url is None:
        from .embedded_redis import EmbeddedRedis

        embedded = EmbeddedRedis(settings.data_dir)
        embedded.claim()  # another service on this data dir is refused before it trains a model
    _ensure_model(settings)
    if embedded is not None:
        settings = settings.with_overrides(redis_url=embedded.start())
    try:
        keys = f"; API keys in {settings.api_keys_file}" if settings.api_keys_file else ""
        logger.info("starting on http://%s:%d with %d worker(s)%s", settings.host, settings.port, settings.workers,
                    keys)
        if settings.workers == 1:
            _run_worker(settings)
            return 0
        with multiprocess_folder():  # the workers' counters, summed by whichever worker answers /metrics
            return Workers(settings.workers, _run_worker, (settings,)).run()
    finally:
        if embedded is not None:
            embedded.stop()


# ---------------------------------------------------------------- score


_GZIP_MAGIC = b"\x1f\x8b"


def _open_input(name: str) -> IO[str]:
    """The input as UTF-8 text (stdin too, whatever the locale), bytes that are not UTF-8 kept as surrogate
    escapes, so that ``score_lines`` refuses that line alone, as the API refuses such a body."""
    try:
        if name == "-":
            if not hasattr(sys.stdin, "buffer"):  # already text (a test's StringIO)
                return sys.stdin
            stream = sys.stdin.buffer
            head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
        else:
            with open(name, "rb") as probe:
                head = probe.read(2)
            stream = open(name, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ConfigurationError(f"cannot read {name} ({exc.strerror or exc})") from None
    if head == _GZIP_MAGIC:
        if name != "-":
            stream.close()
        shown = "FILE" if name == "-" else name
        raise ConfigurationError(f"{'the input' if name == '-' else name} is gzip-compressed; score reads JSONL: "
                                 f"gzip -dc {shown} | moderation-service score")
    return io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape")


def _is_input(name: str, input_name: str) -> bool:
    """Whether the output file ``name`` is the input: named so, through a link, or the file stdin reads
    (``score -o comments.jsonl < comments.jsonl``)."""
    if name == "-" or not os.path.exists(name):
        return False
    if input_name != "-":
        return os.path.exists(input_name) and os.path.samefile(name, input_name)
    try:
        return os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(name))
    except (AttributeError, OSError, ValueError):  # stdin is no file (a test's StringIO, or closed)
        return False


def _open_output(name: str, input_name: str) -> IO[str]:
    if _is_input(name, input_name):  # opening it for writing would empty it before it is read
        raise ConfigurationError(f"cannot write {name}: it is the input file; name another file for the results")
    try:
        return sys.stdout if name == "-" else open(name, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise ConfigurationError(f"cannot write {name} ({exc.strerror or exc})") from None


def _let_go(reader: IO[str]) -> None:
    """Detach ``reader`` from stdin's bytes, which it would otherwise close when it is collected."""
    with contextlib.suppress(ValueError, OSError):  # stdin's bytes cannot be let go of (a test's stand-in)
        reader.detach()  # type: ignore[attr-defined]


def score(args: argparse.Namespace) -> int:
    from .batch import score_lines
    from .decisions import Evaluator
    from .live_model import ModelHolder, resolve_model_dir

    settings = Settings.from_env()
    setup_logging("WARNING")
    models = ModelHolder.load(resolve_model_dir(args.model or settings.model_dir, settings.models_dir))
    evaluator = Evaluator(models, load_sites(settings.sites_file))
    with contextlib.ExitStack() as opened:  # each file closed, the input too when the output cannot be opened
        source = _open_input(args.input)
        if args.input != "-":
            opened.callback(source.close)
        elif source is not sys.stdin:  # a reader of stdin's bytes: let go of them, stdin itself stays open
            opened.callback(_let_go, source)
        sink = _open_output(args.output, args.input)
        if sink is not sys.stdout:
            opened.callback(sink.close)
        errors = score_lines(evaluator, source, sink, default_site=args.site,
                             max_content_chars=settings.max_content_chars)
    return 1 if errors else 0


def configuration_error(exc: ConfigurationError) -> int:
    print(f"moderation-service: configuration error: {exc}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------- wordpress-plugin


def wordpress_plugin(args: argparse.Namespace) -> int:
    from .integrations import wordpress_mu_plugin

    text = wordpress_mu_plugin(args.url)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot write {args.output} ({exc.strerror or exc})") from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"serve": serve, "score": score, "wordpress-plugin": wordpress_plugin}[args.command](args)
    except ConfigurationError as exc:
        return configuration_error(exc)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
