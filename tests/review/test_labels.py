"""Collected labels: validated on the way in, exported in order in the training schema."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError
from redis.asyncio import Redis

from moderation_service.review.labels import LabelStore, labelled_example


async def test_examples_round_trip_in_order(redis: Redis) -> None:
    store = LabelStore(redis)
    for n in range(1203):  # more than one export batch
        await store.add(labelled_example(f"text {n}", {"spam": n % 2}, source="moderator", labelled_by="anna",
                                         comment={"site_id": "kommblog", "author_email": "a@example.org"}))
    exported = [example async for _, example in store.examples()]
    assert len(exported) == await store.count() == 1203
    assert [e["content"] for e in exported[:3]] == ["text 0", "text 1", "text 2"]
    assert exported[1]["labels"] == {"spam": 1} and exported[1]["site_id"] == "kommblog"
    assert exported[0]["labelled_by"] == "anna" and exported[0]["labelled_at"].endswith("Z")


async def test_export_resumes_after_a_given_entry(redis: Redis) -> None:
    store = LabelStore(redis)
    for n in range(3):
        await store.add(labelled_example(f"t{n}", {"toxicity": 1}, source="akismet"))
    first_id = [entry_id async for entry_id, _ in store.examples()][0]
    assert [e["content"] async for _, e in store.examples("_", since=first_id)] == ["t1", "t2"]


async def test_each_site_has_its_own_stream(redis: Redis) -> None:
    store = LabelStore(redis)
    await store.add(labelled_example("a", {"spam": 1}, source="akismet", comment={"site_id": "one"}))
    await store.add(labelled_example("b", {"spam": 0}, source="akismet", comment={"site_id": "two"}))
    assert [e["content"] async for _, e in store.examples("two")] == ["b"]
    assert [e["content"] async for _, e in store.examples()] == ["a", "b"]


def test_invalid_labels_are_refused() -> None:
    with pytest.raises(ValidationError) as error:
        labelled_example("x", {"spamm": 1}, source="moderator")
    assert "Unknown label" in str(error.value)
