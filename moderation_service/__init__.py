"""Comment moderation and spam filtering as a self-hosted microservice."""

__version__ = "0.1.0"
