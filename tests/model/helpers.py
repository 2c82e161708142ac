"""A small fitted pipeline shared by the model tests (trained in well under a second)."""

from __future__ import annotations

from functools import cache

import numpy as np
from sklearn.pipeline import Pipeline

from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.model.stats import TextStatsVectorizer
from training.train import Corpus, fit_pipeline

HAM = ["Danke für den Beitrag, sehr hilfreich.", "Great post, thanks for sharing!", "Ich sehe das anders.",
       "Interesting point about the budget.", "Wann kommt der nächste Teil?", "Nice song, love it"]
SPAM = ["Check out my channel http://spam.example/x subscribe!", "Buy cheap pills at www.pills.example now",
        "FREE iPad winner!!! text WIN to 80082", "Make money online, visit http://cash.example"]
TOXIC = ["you are an idiot", "Du bist ein Vollidiot", "shut up you stupid moron", "I will kill you, idiot",
         "those people are vermin", "what the fuck is this shit"]

SAMPLE_TEXTS = [
    "",
    "   ",
    "Hi",
    "Ein ganz normaler Kommentar mit Umlauten: äöüß, und einem Emoji 😜.",
    "Check out my channel http://www.example.com/watch?v=1 <a href='http://spam.example'>here</a> &amp; win!!!",
    "İstanbul ǅ ﬁ ＡＢＣ \u200bzero\u200bwidth\ufeff",
    "lone surrogate \ud800 inside",
    "x" * 7000,
    "you are an idiot " * 40,
]


@cache
def fitted_pipeline() -> Pipeline:
    """Every attribute has both classes; some labels are unknown (NaN) as in real data."""
    rng = np.random.default_rng(0)
    texts, rows, sources = [], [], []
    for i in range(4):
        for text in HAM:
            texts.append(f"{text} {i}")
            rows.append([0] * len(ATTRIBUTES))
            sources.append("ham")
        for text in SPAM:
            texts.append(f"{text} {i}")
            rows.append([1] + [np.nan] * (len(ATTRIBUTES) - 1))
            sources.append("spam")
        for j, text in enumerate(TOXIC):
            texts.append(f"{text} {i}")
            rows.append([0, 1] + [float(rng.random() < 0.5 or j == k) for k in range(len(ATTRIBUTES) - 2)])
            sources.append("toxic")
    corpus = Corpus(texts, np.array(rows, dtype=float), np.array(sources, dtype=object),
                    np.array([""] * len(texts), dtype=object), np.ones(len(texts)), np.array(sources, dtype=object))
    # The statistics block is off by default; on here, so that the scorer's handling of it stays tested.
    params = {"features__words__min_df": 1, "features__chars__min_df": 1, "heads__n_jobs": 1,
              "features__stats": TextStatsVectorizer()}
    return fit_pipeline(corpus, params, report=lambda _: None)
