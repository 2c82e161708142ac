"""The scores every model produces: spam plus Perspective's toxicity family, lower-cased."""

from enum import Enum


class Attribute(str, Enum):
    SPAM = "spam"
    TOXICITY = "toxicity"
    SEVERE_TOXICITY = "severe_toxicity"
    IDENTITY_ATTACK = "identity_attack"
    INSULT = "insult"
    PROFANITY = "profanity"
    THREAT = "threat"


#: The attribute names in the fixed order of the model's output columns.
ATTRIBUTES: tuple[str, ...] = tuple(a.value for a in Attribute)

#: Attributes that imply ``toxicity``: a comment with toxicity 0 has all of them 0.
TOXICITY_FAMILY: tuple[str, ...] = ATTRIBUTES[1:]

#: The narrower kinds of toxicity (all of the family but ``toxicity`` itself): each 1 implies toxicity 1.
KINDS_OF_TOXICITY: frozenset[str] = frozenset(TOXICITY_FAMILY[1:])
