"""Load the running service with a realistic comment mix and report decisions/s and latency.

    python bench/http_load.py --url http://127.0.0.1:8080 --key BLOG_KEY --site default
    python bench/http_load.py --start --workers 2       # start a service on a private Redis database first
    python bench/http_load.py --start --signals off     # the same with every signal off (the text model alone)

Uses ``wrk`` (apt-get install wrk) as the load generator when it is installed: it costs the service's
CPU far less than a Python client on the same machine. Every request is a new comment (its own comment
id), so each one runs the whole decision path: validation, scoring, policy and a Redis write. With
``--start`` it also reports the service's CPU time per decision (all its processes, from ``/proc``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.comments import comment_mix  # noqa: E402
from bench.redis_db import benchmark_database  # noqa: E402
from moderation_service.signals.config import SIGNAL_NAMES  # noqa: E402

LUA = r"""
local bodies = {}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do table.insert(bodies, line) end
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  body = body:gsub("__ID__", thread_id .. "-" .. counter .. "-" .. os.time())
  return wrk.format("POST", "/v1/comments", {["Content-Type"] = "application/json",
                                              ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")}, body)
end

function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors_status": %d, "errors_connect": %d, '
    .. '"errors_timeout": %d, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def write_bodies(path: Path, site: str, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for comment in comment_mix(count):
            comment.pop("kind")
            handle.write(json.dumps({"site_id": site, "comment_id": "__ID__", **comment}, ensure_ascii=False) + "\n")


def run_wrk(url: str, key: str, site: str, duration: int, connections: int, threads: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    bodies, script = folder / "bodies.jsonl", folder / "load.lua"
    write_bodies(bodies, site, 20_000)
    script.write_text(LUA, encoding="utf-8")
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "-s",
               str(script), url, "--", str(bodies)]
    output = subprocess.run(command, env={**os.environ, "BENCH_KEY": key}, capture_output=True, text=True, check=True)
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["decisions_per_s"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    return result


def cpu_seconds(root: int) -> tuple[float, float]:
    """User and system CPU time of ``root`` and its living descendants (Linux ``/proc``): the service's
    workers with ``--start``. CPU per decision varies less between runs than decisions/s; system time is
    mostly the sockets (the client's and Redis's)."""
    user, system, todo = 0.0, 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
            system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return user, system


def wait_ready(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:
                if json.loads(response.read())["status"] == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the service at {url} did not become ready")


def start_service(port: int, workers: int, redis_url: str, signals: bool) -> tuple[subprocess.Popen[bytes], str]:
    key = "bench-blog-key-0123456789abcdef"
    data_dir = Path(tempfile.mkdtemp(prefix="bench-var-"))
    sites = data_dir / "sites.toml"
    # The mix repeats its texts (20,000 bodies, sent round-robin): a short duplicates window keeps the repeats
    # from looking like a spam wave; the signal does the same work per comment.
    chosen = "duplicates = { window_seconds = 2 }" if signals else f"disabled = {json.dumps(list(SIGNAL_NAMES))}"
    sites.write_text(f"[sites.bench]\nname = \"Benchmark\"\n[sites.bench.signals]\n{chosen}\n", encoding="utf-8")
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "MODERATION_PORT": str(port),
        "MODERATION_WORKERS": str(workers),
        "MODERATION_API_KEYS": json.dumps(
            {"keys": [{"name": "bench", "role": "blog", "sites": ["bench"], "key": key}]}),
        "MODERATION_DATA_DIR": str(data_dir),
        "MODERATION_SITES_FILE": str(sites),
        "MODERATION_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "moderation_service", "serve"], env=env)
    return process, key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", help="a blog key for --site (not needed with --start)")
    parser.add_argument("--site", default="bench")
    parser.add_argument("--start", action="store_true", help="start the service (live model) for the run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-url", default=None, help="with --start: the Redis database to use (default: "
                        "one of 127.0.0.1:6379 claimed for the run as test sessions claim theirs, empty after it; "
                        "a URL given is flushed first)")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--signals", choices=("on", "off"), default="on",
                        help="with --start: every signal on (default) or all off (the text model alone)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/http_load.py needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:  # the service stops before its database is emptied
        process = None
        key = args.key
        if args.start:
            redis_url = stack.enter_context(benchmark_database(args.redis_url))
            port = int(args.url.rsplit(":", 1)[1])
            process, key = start_service(port, args.workers, redis_url, args.signals == "on")
            stack.callback(stop, process)
            args.site = "bench"
        wait_ready(args.url)
        run_wrk(args.url, key, args.site, 3, args.connections, args.threads)  # warm-up
        cpu_before = cpu_seconds(process.pid) if process is not None else (0.0, 0.0)
        result = run_wrk(args.url, key, args.site, args.duration, args.connections, args.threads)
        if process is not None:
            user, system = (round((after - before) * 1000 / max(result["requests"], 1), 3)
                            for after, before in zip(cpu_seconds(process.pid), cpu_before, strict=True))
            result.update(service_cpu_ms_per_decision=round(user + system, 3), of_which_system_ms=system)
        result.update(workers=args.workers if args.start else None, connections=args.connections,
                      signals=args.signals if args.start else None)
        print(json.dumps(result))
    return 0


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
