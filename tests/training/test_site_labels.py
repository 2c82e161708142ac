"""Collected labels read back from the service's label store (real Redis), ordered by when they were
labelled, the most recent slice held back, and weighted against the base data."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from moderation_service.review.labels import LabelStore
from training import site_labels


def example(n: int, site: str, at: str, source: str = "moderator") -> dict:  # type: ignore[type-arg]
    return {"content": f"Kommentar {n}", "labels": {"spam": n % 2}, "source": source, "site_id": site,
            "labelled_at": at, "labelled_by": "mod", "author_email": "jana@example.org"}


async def test_labels_from_redis_oldest_first_across_sites_and_the_newest_held_back(
    redis: Redis, redis_url: str
) -> None:
    store = LabelStore(redis)
    for n, site, at in ((1, "a", "2026-11-03T10:00:00Z"), (2, "b", "2026-11-01T10:00:00Z"),
                        (3, "a", "2026-11-05T10:00:00Z"), (4, "b", "2026-11-04T10:00:00Z"),
                        (5, "a", "2026-11-02T10:00:00Z")):
        await store.add(example(n, site, at, "akismet" if n == 4 else "moderator"))
    collected = await asyncio.to_thread(site_labels.from_redis, redis_url)
    assert [r["content"] for r in collected.records] == [f"Kommentar {n}" for n in (2, 5, 1, 4, 3)]
    assert "author_email" not in collected.records[0]  # only the training schema's fields are kept
    train, held = site_labels.split_recent(collected, 0.3)
    assert [r["content"][-1] for r in held] == ["4", "3"] and len(train) == 3

    datasets = site_labels.as_datasets(train, weight=3.0)
    assert [d.name for d in datasets] == ["moderator"]
    assert {e.weight for e in datasets[0].examples} == {3.0}
    assert {e.subset for e in datasets[0].examples} == {"a", "b"}
    summary = site_labels.summary(collected, train, held, 3.0, 0.3)
    assert summary["held_back"] == {"examples": 2, "from": "2026-11-04T10:00:00Z", "to": "2026-11-05T10:00:00Z",
                                    "by_origin": {"akismet": 1, "moderator": 1}}
    assert len(summary["sha256"]) == 64 and summary["origin"] == "redis"


def test_nothing_held_back_with_a_zero_fraction() -> None:
    collected = site_labels.Collected([example(1, "a", "2026-11-01T00:00:00Z")], "test")
    assert site_labels.split_recent(collected, 0.0) == (collected.records, [])


def test_the_latest_label_of_a_text_is_the_one_trained_on() -> None:
    """Labels are read oldest first, and the training corpus keeps the first of a source's repeated texts: a
    text labelled again later (moderators marking spam what they had let through before) was trained with its
    first, outdated label, and the correction was dropped. The latest label of a text now counts."""
    from training.train import build_corpus

    records = [
        {"content": "Tolle Seite, schaut mal auf meinem Kanal vorbei", "labels": {"spam": 0}, "source": "moderator",
         "lang": None, "site_id": "a", "weight": 1.0, "labelled_at": "2026-11-01T10:00:00Z"},
        {"content": "Danke", "labels": {"spam": 0}, "source": "moderator", "lang": None, "site_id": "a",
         "weight": 1.0, "labelled_at": "2026-11-02T10:00:00Z"},
        {"content": "tolle Seite,  schaut mal auf meinem Kanal vorbei", "labels": {"spam": 1},
         "source": "moderator", "lang": None, "site_id": "a", "weight": 1.0, "labelled_at": "2026-11-03T10:00:00Z"},
    ]
    train, _ = site_labels.split_recent(site_labels.Collected(records, "test"), 0.0)
    corpus = build_corpus(site_labels.as_datasets(train, 3.0))
    spam = corpus.Y[:, 0]
    assert sorted(zip(corpus.normalized, spam, strict=True)) == [
        ("Danke", 0.0), ("tolle Seite, schaut mal auf meinem Kanal vorbei", 1.0)]


def test_a_label_replaced_by_one_held_back_does_not_train() -> None:
    """The latest label of a text counted only within each part: a text let through, then marked spam by the
    same origin among the most recent labels (held back to compare the models), still trained as not spam, and
    the held-back part judged the candidate on the opposite label of a text it was trained on."""
    records = [
        {"content": "Tolle Seite, schaut mal auf meinem Kanal vorbei", "labels": {"spam": 0}, "source": "moderator",
         "site_id": "a", "labelled_at": "2026-11-01T10:00:00Z"},
        *[{"content": f"Kommentar {n}", "labels": {"spam": 0}, "source": "moderator", "site_id": "a",
           "labelled_at": f"2026-11-0{n + 1}T10:00:00Z"} for n in range(1, 5)],
        {"content": "tolle Seite,  schaut mal auf meinem Kanal vorbei", "labels": {"spam": 1},
         "source": "moderator", "site_id": "a", "labelled_at": "2026-11-07T10:00:00Z"},
    ]
    train, held = site_labels.split_recent(site_labels.Collected(records, "test"), 0.2)
    assert held[-1]["labels"] == {"spam": 1}
    assert [r["content"] for r in train + held[:-1]] == [f"Kommentar {n}" for n in range(1, 5)]


def test_another_origins_later_word_supersedes_per_key_agreeing_or_not() -> None:
    """Across origins, each label key of a text keeps its latest value only (the same text up to case and
    spacing): an agreeing earlier label does not count twice, a contradicting one does not train at all, and
    a key only the earlier word named stays with it. Within one origin the later example replaces the earlier
    one whole, as before."""
    records = [
        {"content": "Schöner Beitrag", "labels": {"spam": 0, "toxicity": 0}, "source": "moderator",
         "labelled_at": "2026-11-01T10:00:00Z"},
        {"content": "schöner  Beitrag", "labels": {"spam": 0}, "source": "akismet",
         "labelled_at": "2026-11-02T10:00:00Z"},
        {"content": "Kauf hier", "labels": {"toxicity": 1, "insult": 1}, "source": "perspective",
         "labelled_at": "2026-11-03T10:00:00Z"},
        {"content": "Kauf hier", "labels": {"spam": 1}, "source": "moderator",
         "labelled_at": "2026-11-04T10:00:00Z"},
        {"content": "Kauf hier", "labels": {"toxicity": 0}, "source": "perspective",
         "labelled_at": "2026-11-05T10:00:00Z"},
        {"content": "Kauf hier", "labels": {"spam": 0, "toxicity": 0}, "source": "akismet",
         "labelled_at": "2026-11-06T10:00:00Z"},
    ]
    records = [{**r, "site_id": "a", "weight": 1.0, "lang": None} for r in records]
    kept, superseded = site_labels.standing(records)
    assert [(r["source"], r["labels"]) for r in kept] == [
        ("moderator", {"toxicity": 0}), ("akismet", {"spam": 0}), ("akismet", {"spam": 0, "toxicity": 0})]
    # "Schöner Beitrag": spam 0 agreed; "Kauf hier": the moderator's spam 1 and Perspective's later toxicity 0
    # give way to Akismet's latest word (its earlier toxicity 1, insult 1 were replaced by its own toxicity 0)
    assert superseded == site_labels.Superseded(labels=3, contradicting=1, examples=2)
    assert records[0]["labels"] == {"spam": 0, "toxicity": 0}  # the collected records are left as they were
    collected = site_labels.Collected(records, "test")
    train, held = site_labels.split_recent(collected, 0.0)
    assert (train, held) == (kept, [])
    assert site_labels.summary(collected, train, held, 3.0, 0.0)["superseded_by_other_origin"] == {
        "labels": 3, "contradicting": 1, "examples": 2}


def test_a_later_not_toxic_supersedes_an_earlier_word_of_a_kind_of_toxicity() -> None:
    """A moderator rejected a comment as an insult (toxicity 1, insult 1); Coral's moderator then approved it
    (through Perspective's suggestscore: toxicity 0). Per key, the moderator's insult 1 stood beside the later
    toxicity 0 and went on training the insult score (held by any of toxicity's six) on a text the later word
    called not toxic. Not toxic says that none of toxicity's kinds applies."""
    records = [
        {"content": "Du Depp", "labels": {"spam": 0, "toxicity": 1, "insult": 1}, "source": "moderator",
         "labelled_at": "2026-11-01T10:00:00Z"},
        {"content": "Du Depp", "labels": {"spam": 0, "toxicity": 0}, "source": "perspective",
         "labelled_at": "2026-11-02T10:00:00Z"},
        {"content": "Du Idiot", "labels": {"toxicity": 0}, "source": "perspective",
         "labelled_at": "2026-11-03T10:00:00Z"},
        {"content": "Du Idiot", "labels": {"spam": 0, "toxicity": 1, "insult": 1}, "source": "moderator",
         "labelled_at": "2026-11-04T10:00:00Z"},
    ]
    records = [{**r, "site_id": "a", "weight": 1.0, "lang": None} for r in records]
    kept, superseded = site_labels.standing(records)
    assert [(r["source"], r["labels"]) for r in kept] == [
        ("perspective", {"spam": 0, "toxicity": 0}), ("moderator", {"spam": 0, "toxicity": 1, "insult": 1})]
    # "Du Depp": the moderator's spam 0 agreed, toxicity 1 and insult 1 contradicted; "Du Idiot": the earlier
    # toxicity 0 gave way to the moderator's later word (an insult, so toxic)
    assert superseded == site_labels.Superseded(labels=4, contradicting=3, examples=2)


def test_one_word_is_not_superseded_by_itself_and_a_later_kind_of_toxicity_supersedes_not_toxic() -> None:
    """Perspective's suggestscore may say toxicity 0 and insult 1 at once (scores either side of 0.5): only a
    later word supersedes, never the example's own other key. A later insult 1 (alone, from suggestscore) says
    the text is toxic: an earlier toxicity 0 gives way to it, as an earlier insult 1 gives way to a later
    toxicity 0."""
    records = [
        {"content": "Du Schaf", "labels": {"spam": 0, "toxicity": 0}, "source": "moderator",
         "labelled_at": "2026-11-01T10:00:00Z"},
        {"content": "Du Schaf", "labels": {"insult": 1}, "source": "perspective",
         "labelled_at": "2026-11-02T10:00:00Z"},
        {"content": "Na ja", "labels": {"toxicity": 0, "insult": 1}, "source": "perspective",
         "labelled_at": "2026-11-03T10:00:00Z"},
    ]
    records = [{**r, "site_id": "a", "weight": 1.0, "lang": None} for r in records]
    kept, superseded = site_labels.standing(records)
    assert [(r["source"], r["labels"]) for r in kept] == [
        ("moderator", {"spam": 0}), ("perspective", {"insult": 1}), ("perspective", {"toxicity": 0, "insult": 1})]
    assert superseded == site_labels.Superseded(labels=1, contradicting=1, examples=0)
