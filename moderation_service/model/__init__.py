"""The moderation model: text normalisation, features, the artifact and its scorer."""

from .attributes import ATTRIBUTES, Attribute

__all__ = ["ATTRIBUTES", "Attribute"]
