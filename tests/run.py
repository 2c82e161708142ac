"""Run the test suite against TEST_REDIS_URL, else 127.0.0.1:6379, else a private Redis started for the run.

    python -m tests.run [pytest arguments]
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.redis_server import RedisServer, answers

DEFAULT_PORT = 6379


def main() -> int:
    server = None
    if "TEST_REDIS_URL" not in os.environ and not answers(DEFAULT_PORT):
        server = RedisServer().start()
        os.environ["TEST_REDIS_URL"] = server.url
        print(f"no Redis on 127.0.0.1:{DEFAULT_PORT}: started a private one at {server.url}", file=sys.stderr)
    try:
        return int(pytest.main(sys.argv[1:]))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
