"""Settings come from the environment, validated, with messages naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation_service.exceptions import ConfigurationError
from moderation_service.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.workers, settings.redis_url) == ("127.0.0.1", 8080, 1, None)
    assert settings.spool_dir == Path("var/spool")


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "MODERATION_HOST": "0.0.0.0",
            "MODERATION_PORT": "9000",
            "MODERATION_WORKERS": "2",
            "REDIS_URL": "redis://redis:6379/0",
            "MODERATION_REDIS_TIMEOUT": "0.2",
            "MODERATION_DATA_DIR": "/srv/var",
            "MODERATION_MODELS_DIR": "/srv/models",
            "MODERATION_MODEL": "/srv/models/v1",
            "MODERATION_TRAINING_DATA": "/a:/b",
            "MODERATION_API_KEYS_FILE": "/run/secrets/keys.json",
            "MODERATION_SITES_FILE": "/etc/sites.toml",
            "MODERATION_MAX_BODY_BYTES": "2048",
            "MODERATION_MAX_CONTENT_CHARS": "1000",
            "MODERATION_DECISION_TTL_DAYS": "7",
            "MODERATION_LOG_LEVEL": "debug",
        }
    )
    assert settings.port == 9000 and settings.workers == 2 and settings.redis_timeout == 0.2
    assert settings.training_data == (Path("/a"), Path("/b"))
    assert settings.model_dir == Path("/srv/models/v1") and settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MODERATION_PORT": "eighty"}, "MODERATION_PORT: expected a whole number, got 'eighty'"),
        ({"MODERATION_REDIS_TIMEOUT": "soon"}, "MODERATION_REDIS_TIMEOUT: expected a number, got 'soon'"),
        ({"MODERATION_PORT": "70000"}, "MODERATION_PORT: must be a TCP port 1-65535, got 70000"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL: must start with redis://, rediss:// or unix://"),
        # redis-py reads a database that is no number as database 0: refused, not written to database 0.
        ({"REDIS_URL": "redis://127.0.0.1:6379/abc"},
         "REDIS_URL: the database after the port must be a number (redis://host:6379/0), got 'abc'"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/4x"},
         "REDIS_URL: the database after the port must be a number (redis://host:6379/0), got '4x'"),
        ({"REDIS_URL": "redis://:6379x/4"},
         "REDIS_URL: cannot be read: Port could not be cast to integer value as '6379x'"),
        ({"MODERATION_LOG_LEVEL": "LOUD"}, "MODERATION_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR"),
        ({"MODERATION_EVENT_LOOP": "bogus"}, "MODERATION_EVENT_LOOP: must be one of uvloop, asyncio"),
        ({"MODERATION_MAX_BODY_BYTES": "10"}, "MODERATION_MAX_BODY_BYTES: must be 1024 to 16777216"),
        ({"MODERATION_COOKIE_SECURE": "yes"}, "MODERATION_COOKIE_SECURE: must be one of auto, always"),
        ({"MODERATION_SIGN_IN_ATTEMPTS": "0"}, "MODERATION_SIGN_IN_ATTEMPTS: must be 1 to 1000"),
        ({"MODERATION_SIGN_IN_WINDOW_SECONDS": "5"}, "MODERATION_SIGN_IN_WINDOW_SECONDS: must be 10 to 86400"),
        ({"MODERATION_TRUSTED_PROXIES": "10.0.0.1, proxy.local"},
         "MODERATION_TRUSTED_PROXIES: 'proxy.local' is not an IP address or network (10.0.0.1, 10.0.0.0/8, ::1)"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        Settings.from_env(env)
    assert str(error.value) == message


@pytest.mark.parametrize("url", ["redis://redis:6379/0", "redis://h:6379", "redis://h/", "rediss://u:p@h:6380/15",
                                 "unix:///run/redis.sock?db=3"])
def test_good_redis_urls_are_taken(url: str) -> None:
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url


def test_repr_hides_inline_keys() -> None:
    assert "secret-material" not in repr(Settings(api_keys_json='{"keys": "secret-material"}'))


def test_sign_in_throttle_and_trusted_proxies_are_read() -> None:
    settings = Settings.from_env({"MODERATION_SIGN_IN_ATTEMPTS": "5", "MODERATION_SIGN_IN_WINDOW_SECONDS": "600",
                                  "MODERATION_TRUSTED_PROXIES": "10.0.0.0/8, ::1"})
    assert (settings.sign_in_attempts, settings.sign_in_window_seconds) == (5, 600)
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1")
    assert Settings.from_env({}).trusted_proxies == ()
    assert Settings.from_env({}).cookie_secure == "auto"
    assert Settings.from_env({"MODERATION_COOKIE_SECURE": "Always"}).cookie_secure == "always"
