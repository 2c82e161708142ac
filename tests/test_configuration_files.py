"""API key and site files: accepted when valid, refused with a message that says what to fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from moderation_service.auth import Keyring, Permission, Role, digest, load_keyring, write_starter_keys
from moderation_service.exceptions import ConfigurationError, Forbidden
from moderation_service.sites import load_sites


def test_key_by_digest_and_roles() -> None:
    keyring = Keyring.from_json(
        json.dumps({"keys": [{"name": "b", "role": "blog", "sites": ["s1"], "sha256": digest("k" * 20)}]}), "x"
    )
    principal = keyring.authenticate("k" * 20)
    assert principal is not None and principal.role is Role.BLOG
    assert principal.can(Permission.SUBMIT, "s1") and not principal.can(Permission.SUBMIT, "s2")
    assert not principal.can(Permission.REVIEW)
    with pytest.raises(Forbidden):
        principal.require(Permission.OPERATE)
    assert keyring.authenticate("k" * 19) is None
    assert "k" * 20 not in repr(keyring)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ({"keys": [{"name": "b", "role": "blog", "sites": ["a"], "key": "short"}]}, "at least 16 characters"),
        ({"keys": [{"name": "b", "role": "blog", "sites": ["a"], "key": "0123456789ag"}]}, "exactly 12 hex digits"),
        ({"keys": [{"name": "m", "role": "moderator", "sites": ["a"], "key": "0123456789ab"}]},
         "only a blog key may"),
        ({"keys": [{"name": "b", "role": "blog", "key": "k" * 20}]}, "needs 'sites'"),
        ({"keys": [{"name": "b", "role": "owner", "sites": ["a"], "key": "k" * 20}]}, "role"),
        ({"keys": [{"name": "a", "role": "admin", "key": "k" * 20}, {"name": "b", "role": "admin", "key": "k" * 20}]},
         "used twice"),
        # A digest copied with its line's end would match no key: refused, not kept.
        ({"keys": [{"name": "b", "role": "blog", "sites": ["a"], "sha256": digest("k" * 20) + "\n"}]}, "sha256"),
    ],
)
def test_bad_key_files_are_refused(content: object, fragment: str) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    with pytest.raises(ConfigurationError) as error:
        Keyring.from_json(text, "keys.json")
    assert fragment in str(error.value) and str(error.value).startswith("keys.json")


def test_a_blog_key_may_have_the_length_wordpress_akismet_plugin_requires() -> None:
    """The plugin refuses any key that is not 12 characters long, and its settings page keeps hex digits only."""
    keyring = Keyring.from_json(json.dumps({"keys": [
        {"name": "wp", "role": "blog", "sites": ["kommblog"], "key": "0123456789ab"}]}), "keys.json")
    principal = keyring.authenticate("0123456789ab")
    assert principal is not None and principal.can(Permission.SUBMIT, "kommblog") and principal.akismet_only
    stored_as_digest = Keyring.from_json(json.dumps({"keys": [  # the key file cannot tell: it says so
        {"name": "wp", "role": "blog", "sites": ["kommblog"], "sha256": digest("0123456789ab"),
         "akismet_only": True}]}), "keys.json")
    assert stored_as_digest.authenticate("0123456789ab").akismet_only  # type: ignore[union-attr]


def test_a_key_file_with_other_top_level_fields_is_refused_without_naming_them() -> None:
    secret = "a-real-key-pasted-as-a-name-0001"
    for content in ({secret: {"role": "blog", "sites": ["a"]}},
                    {"keys": [{"name": "a", "role": "admin", "key": "k" * 20}], secret: True}):
        with pytest.raises(ConfigurationError) as error:
            Keyring.from_json(json.dumps(content), "MODERATION_API_KEYS")
        message = str(error.value)
        assert 'holds only "keys"' in message and "1 other field(s) found" in message
        assert secret not in message


def test_missing_keys_say_which_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="MODERATION_API_KEYS_FILE"):
        load_keyring(None, None)
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_keyring(None, tmp_path / "absent.json")


def test_starter_keys_file_is_private_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "var" / "api-keys.json"
    keys = write_starter_keys(path)
    assert path.stat().st_mode & 0o777 == 0o600
    keyring = load_keyring(None, path)
    assert keyring.authenticate(keys["blog"]).role is Role.BLOG  # type: ignore[union-attr]
    assert keyring.authenticate(keys["admin"]).role is Role.ADMIN  # type: ignore[union-attr]
    assert keyring.authenticate(keys["monitor"]).role is Role.MONITOR  # type: ignore[union-attr]
    # WordPress's Akismet settings page keeps only a key's hex digits: the blog's key must be all of them
    assert all(re.fullmatch(r"[0-9a-f]{40}", key) for key in keys.values())


def test_sites_file(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        '[defaults.thresholds]\ntoxicity = { hold = 0.6 }\n[sites.blog.thresholds]\ninsult = { hold = 0.7 }\n')
    sites = load_sites(path)
    assert sites.overrides_for("blog") == [{"toxicity": {"hold": 0.6}}, {"insult": {"hold": 0.7}}]
    assert sites.overrides_for("unknown") == [{"toxicity": {"hold": 0.6}}, {}]


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("[sites.blog.thresholds]\ntoxicity = { hold = 1.5 }\n",
         "sites.blog.thresholds.toxicity.hold: Must be greater than or equal to 0 and less than or equal to 1."),
        ("[sites.blog.thresholds]\ntoxic = { hold = 0.5 }\n", "Must be one of"),
        ("[sites.blog.thresholds]\ninsult = { spam = 0.5 }\n", "takes only 'hold'"),
        ("[sites.blog]\ncolour = 1\n", "Unknown field"),
        ("[sites.blog\n", "not valid TOML"),
        # a language the detector never names would hold every comment it recognises
        ('[sites.blog.signals]\nlanguage = { serve = ["de", "EN"] }\n',
         "sites.blog.signals.language.serve.1: Must be one of the languages that language detection names: de, en,"),
        ('[defaults.signals]\nlanguage = { serve = ["german"] }\n', "defaults.signals.language.serve.0: Must be one"),
        # counts that would make every author trusted, every comment a copy or a flood, or that cut 1.5 to 1
        ("[sites.blog.signals]\nreputation = { trusted_after = 0 }\n",
         "sites.blog.signals.reputation.trusted_after: Must be greater than or equal to 1"),
        ("[sites.blog.signals]\nduplicates = { min_copies = 1 }\n",
         "duplicates.min_copies: Must be greater than or equal to 2"),
        ("[sites.blog.signals]\nflood = { max_per_ip = 0 }\n", "flood.max_per_ip: Must be greater than or equal to 1"),
        ("[sites.blog.signals]\ntiming = { min_seconds = -5 }\n",
         "timing.min_seconds: Must be greater than or equal to 0"),
        ("[sites.blog.signals]\nlinks = { free = 1.5 }\n", "links.free: Not a valid integer."),
        ("[sites.blog.signals]\nlinks = { free = -1 }\n", "links.free: Must be greater than or equal to 0"),
    ],
)
def test_bad_sites_files_are_refused(tmp_path: Path, toml: str, fragment: str) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(toml)
    with pytest.raises(ConfigurationError) as error:
        load_sites(path)
    assert fragment in str(error.value)


def test_site_integrations(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        '[sites.blog]\nurls = ["https://blog.example"]\nwebhook_url = "https://blog.example/hook"\n'
        'webhook_secret = "0123456789abcdef"\ncoral_secret = "fedcba9876543210"\n'
    )
    site = load_sites(path).get("blog")
    assert site.urls == ("https://blog.example",) and site.webhook_url == "https://blog.example/hook"
    assert site.webhook_secret == "0123456789abcdef" and "0123456789abcdef" not in repr(site)
    path.write_text('[sites.blog]\nwebhook_url = "https://blog.example/hook"\n')
    with pytest.raises(ConfigurationError, match="webhook_url needs webhook_secret"):
        load_sites(path)


def test_where_held_comments_are_reviewed_follows_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text('[defaults]\nreview = "elsewhere"\n[sites.coral]\nname = "C"\n[sites.blog]\nreview = "here"\n')
    sites = load_sites(path)
    assert not sites.reviews_here("coral") and sites.reviews_here("blog") and not sites.reviews_here("unnamed")
    path.write_text('[sites.blog]\nreview = "later"\n')
    with pytest.raises(ConfigurationError, match="review"):
        load_sites(path)
