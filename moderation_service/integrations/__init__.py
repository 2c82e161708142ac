"""What other systems install to talk to this service: the WordPress must-use plugin that sends the Akismet
plugin's calls here instead of to Akismet's servers (``moderation-service wordpress-plugin``)."""

from __future__ import annotations

import re
from importlib.resources import files

from ..exceptions import ConfigurationError

_SERVICE_URL = re.compile(r"https?://(?P<host>[A-Za-z0-9.\-\[\]:]+)(/[A-Za-z0-9._~/%\-]*)?")


def wordpress_mu_plugin(service_url: str) -> str:
    """The must-use plugin's PHP source, with ``service_url`` as the address it sends the Akismet calls to.

    :raises ConfigurationError: not an http(s) address of a host and an optional path.
    """
    url = service_url.strip().rstrip("/")
    found = _SERVICE_URL.fullmatch(url)
    host = found and found["host"].lower().rsplit(":", 1)[0].rstrip(".")
    if not found or host == "akismet.com" or (host or "").endswith(".akismet.com"):
        raise ConfigurationError(
            f"--url {service_url!r}: give this service's address as WordPress reaches it, with http:// or https:// "
            "and at most a path (no query, no quotes; not Akismet's), such as https://moderation.example")
    template = files(__package__).joinpath("wordpress-mu-plugin.php").read_text(encoding="utf-8")
    return template.replace("{{SERVICE_URL}}", url)
