"""The moderator API: roles, claiming, deciding, bulk, errors, stats, audit; the blog sees the outcome."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from moderation_service.app import create_app
from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.review import keys
from tests.api.test_comments import INSULT, SPAM
from tests.conftest import KEYS_JSON, ROOT, SITES_TOML, auth


async def hold(client, comment, n):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json={**comment, "comment_id": f"h{n}", "content": f"{INSULT} ({n})"},
                                 headers=auth("blog"))
    body = await response.json()
    assert body["decision"] == "hold", body
    return body["id"]


async def call(client, method, path, role="moderator", **kwargs):  # type: ignore[no-untyped-def]
    response = await client.request(method, path, headers=auth(role), **kwargs)
    return response.status, await response.json()


async def test_blog_key_cannot_reach_the_review_api(client) -> None:  # type: ignore[no-untyped-def]
    for method, path in (("GET", "/v1/review/items"), ("POST", "/v1/review/claims"), ("GET", "/v1/review/stats"),
                         ("POST", "/v1/review/decisions"), ("GET", "/v1/ops/labels")):
        status, body = await call(client, method, path, role="blog", json={})
        assert status == 403, path
        assert "role blog" in body["error"]["message"]
    status, _ = await call(client, "GET", "/v1/review/items", role="admin")
    assert status == 200


async def test_claim_decide_and_the_blog_sees_who_and_when(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    status, listed = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    assert status == 200 and [i["id"] for i in listed["items"]] == [item_id]
    shown = listed["items"][0]
    assert shown["comment"]["author_email"] == "jana@example.org" and shown["claim"] is None
    assert shown["author_history"] == {"approved": 0, "rejected": 0, "spam": 0}

    status, claimed = await call(client, "POST", "/v1/review/claims", json={"count": 5})
    assert status == 200 and [i["id"] for i in claimed["items"]] == [item_id]
    assert claimed["items"][0]["claim"]["by"] == "mod"

    status, decided = await call(client, "POST", f"/v1/review/items/{item_id}/decision",
                                 json={"action": "reject", "categories": ["insult"], "note": "beleidigend"})
    assert status == 200 and decided["status"] == "rejected"
    assert decided["decided"]["by"] == "mod" and decided["decided"]["categories"] == ["insult"]

    status, seen = await call(client, "GET", f"/v1/comments/{item_id}", role="blog")
    assert status == 200
    assert seen["status"] == "rejected" and seen["decision"] == "hold"
    assert seen["decided_by"] == "mod" and seen["decided_at"].endswith("Z")


async def test_errors_say_what_to_do(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 409 and body["error"]["code"] == "not_claimed"
    assert f"POST /v1/review/items/{item_id}/claim" in body["error"]["message"]
    await call(client, "POST", f"/v1/review/items/{item_id}/claim", role="admin")
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    assert status == 409 and body["error"]["code"] == "claimed_by_other" and "ops" in body["error"]["message"]
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", role="admin",
                              json={"action": "maybe", "categories": ["rude"]})
    assert status == 422 and set(body["error"]["fields"]) == {"action", "categories"}
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", role="admin", json={"action": "approve"})
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", role="admin",
                              json={"action": "spam"})
    assert status == 409 and body["error"]["code"] == "already_decided"
    status, body = await call(client, "GET", "/v1/review/items/kommblog:zzzzzzzzzzzzzzzz")
    assert status == 404
    status, body = await call(client, "POST", "/v1/review/claims", json={"count": 500})
    assert status == 422 and "count" in body["error"]["fields"]


async def test_release_and_bulk(client, comment) -> None:  # type: ignore[no-untyped-def]
    ids = [await hold(client, comment, n) for n in range(3)]
    _, claimed = await call(client, "POST", "/v1/review/claims", json={"count": 3})
    assert len(claimed["items"]) == 3
    status, released = await call(client, "POST", f"/v1/review/items/{ids[2]}/release")
    assert status == 200 and released["claim"] is None
    status, bulk = await call(client, "POST", "/v1/review/decisions", json={"items": ids, "action": "spam"})
    assert status == 200 and bulk["decided"] == 2
    assert [r["ok"] for r in bulk["results"]] == [True, True, False]
    assert bulk["results"][2]["error"]["code"] == "not_claimed"


async def test_stats_audit_and_label_export(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    ids = [await hold(client, comment, n) for n in range(2)]
    await call(client, "POST", "/v1/review/claims", json={"count": 1})
    await call(client, "POST", f"/v1/review/items/{ids[0]}/decision", json={"action": "approve"})
    status, stats = await call(client, "GET", "/v1/review/stats?site_id=kommblog")
    site = stats["sites"]["kommblog"]
    assert status == 200 and site["pending"] == 1 and site["decisions_today"] == {"mod": 1}
    assert site["oldest_age_seconds"] >= 0 and sum(site["pending_by_reason"].values()) >= 1
    status, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog")
    assert [e["action"] for e in audit["entries"]] == ["decide", "claim"]
    assert audit["entries"][0]["after"]["status"] == "approved"
    decided_ms = int(audit["entries"][0]["entry"].split("-")[0])
    before_that_ms = [e["action"] for e in audit["entries"] if int(e["entry"].split("-")[0]) < decided_ms]
    for before, actions in ((audit["entries"][0]["entry"], ["claim"]), (audit["entries"][1]["entry"], []),
                            (str(decided_ms), before_that_ms), ("0", []), ("0-0", []), ("00-000", [])):
        status, page = await call(client, "GET", f"/v1/review/audit?site_id=kommblog&before={before}")
        assert status == 200 and [e["action"] for e in page["entries"]] == actions, before
    response = await client.get("/v1/ops/labels", headers=auth("admin"))
    lines = (await response.text()).splitlines()
    assert response.status == 200 and len(lines) == 1
    example = json.loads(lines[0])
    assert example["labels"] == {"spam": 0, "toxicity": 0} and example["labelled_by"] == "mod"
    assert example["source"] == "moderator" and example["content"].startswith(INSULT)
    assert example["site_id"] == "kommblog" and example["labelled_at"].endswith("Z")
    # The comment's place rides along, never its author: labels outlive the record that holds those.
    assert example["comment_id"] == "h0" and example["post_id"] == comment["post_id"] and example["lang"] == "de"
    assert not {"author_name", "author_email", "author_url", "author_ip", "user_agent", "referrer"} & set(example)
    stored = json.loads((await redis.xrange(keys.labels("kommblog")))[0][1]["example"])
    assert set(stored) == set(example)


@pytest.fixture(scope="session")
def spam_only_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the committed YouTube comments alone: spam is its only score."""
    from training.train import load_data, train, write

    folder = tmp_path_factory.mktemp("spam-only")
    trained = train(load_data([ROOT / "data" / "youtube-spam"], report=lambda _: None), report=lambda _: None)
    return write(trained, folder / "artifact", version="spam-only")


async def test_scores_a_model_does_not_have_are_not_shown_to_moderators(  # type: ignore[no-untyped-def]
    aiohttp_client, settings, comment, spam_only_model_dir
) -> None:
    client = await aiohttp_client(create_app(dataclasses.replace(settings, model_dir=spam_only_model_dir)))
    status, model = await call(client, "GET", "/v1/ops/model", role="admin")
    assert status == 200 and model["untrained_attributes"] == [a for a in ATTRIBUTES if a != "spam"]

    response = await client.post("/v1/comments", json={**comment, "comment_id": "s1", "content": SPAM},
                                 headers=auth("blog"))
    answer = await response.json()
    assert answer["decision"] in ("hold", "spam") and set(answer["scores"]) == set(ATTRIBUTES)  # the API's seven
    status, item = await call(client, "GET", f"/v1/review/items/{answer['id']}")
    assert status == 200 and list(item["scores"]) == ["spam"] and item["scores"]["spam"] == answer["scores"]["spam"]

    # Toxicity is not scored, so it holds nothing (the kommblog site's own toxicity threshold is 0.5).
    response = await client.post("/v1/comments", json={**comment, "comment_id": "i1", "content": INSULT},
                                 headers=auth("blog"))
    answer = await response.json()
    assert answer["scores"]["toxicity"] == 0.0 and all(r["name"] != "toxicity" for r in answer["reasons"])


@pytest.mark.parametrize(("query", "field"), [
    ("site_id=kommblog&before=[]", "before"),  # Redis refused it as a stream id: a 500 before
    ("site_id=kommblog&before=99999999999999999999-0", "before"),
    ("site_id=kommblog&before=%2Bx", "before"),
    ("site_id=kommblog&limit=0", "limit"),
    ("site_id=kommblog&limit=abc", "limit"),
    ("limit=5", "site_id"),
    ("site_id=kommblog&sort=asc", "sort"),
])
async def test_audit_query_errors_name_the_parameter(client, query, field) -> None:  # type: ignore[no-untyped-def]
    status, body = await call(client, "GET", f"/v1/review/audit?{query}")
    assert status == 422 and field in body["error"]["fields"], body


async def test_list_offset_past_any_real_queue_is_422(client) -> None:  # type: ignore[no-untyped-def]
    # 10**23 reached Redis, which refused it as out of range: a 500 before.
    for offset in ("100001", "99999999999999999999999"):
        status, body = await call(client, "GET", f"/v1/review/items?offset={offset}")
        assert status == 422 and "offset" in body["error"]["fields"], body
    status, _ = await call(client, "GET", "/v1/review/items?offset=100000")
    assert status == 200


async def test_list_by_risk_within_a_post_pages_through_all_of_it(client, comment) -> None:  # type: ignore[no-untyped-def]
    """order=risk with a post filter: the post's items riskiest first, and offset pages that neither skip nor
    repeat (the filter is applied in Redis, not to a page already read)."""
    on_post = []
    for n, tail in enumerate(["", " Wirklich.", " Das ist so.", " Punkt. Aus. Ende. Schluss."]):
        response = await client.post("/v1/comments", headers=auth("blog"), json={
            **comment, "comment_id": f"r{n}", "content": INSULT + tail, "post_id": "p-risk",
            "author_email": f"a{n}@example.org"})
        on_post.append(await response.json())
        assert on_post[-1]["decision"] == "hold", on_post[-1]
    for n in range(3):  # held on another post, older and riskier or not: none may appear
        await hold(client, {**comment, "post_id": "p-other", "author_email": f"o{n}@example.org"}, n)
    risk = {r["id"]: max(r["scores"].values()) for r in on_post}
    pages = []
    for offset in (0, 2):
        status, listed = await call(client, "GET", f"/v1/review/items?post=p-risk&order=risk&limit=2&offset={offset}")
        assert status == 200
        pages += [i["id"] for i in listed["items"]]
    assert sorted(pages) == sorted(risk)  # every item of the post, once
    assert [risk[i] for i in pages] == sorted(risk.values(), reverse=True)
    assert len(set(risk.values())) > 1  # (the order is not a tie)


async def test_an_empty_site_id_means_every_site_as_the_readme_writes_the_query(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    status, listed = await call(client, "GET", "/v1/review/items?site_id=&order=oldest&post=&reason=")
    assert status == 200 and [i["id"] for i in listed["items"]] == [item_id]
    status, stats = await call(client, "GET", "/v1/review/stats?site_id=")
    assert status == 200 and "" not in stats["sites"] and stats["sites"]["kommblog"]["pending"] == 1


async def test_a_lease_that_ran_out_is_not_shown_as_a_claim(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    status, claimed = await call(client, "POST", f"/v1/review/items/{item_id}/claim", json={"lease_seconds": 10})
    assert status == 200 and claimed["claim"]["by"] == "mod"
    await redis.hset(keys.comment("kommblog", item_id.split(":")[1]), "claim_expires", "1")  # long past
    status, listed = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    assert status == 200 and listed["items"][0]["claim"] is None
    status, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["claim"] is None
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 409 and body["error"]["code"] == "lease_expired"


async def test_a_bulk_decision_refuses_a_malformed_id_on_its_own(aiohttp_client, settings, comment) -> None:  # type: ignore[no-untyped-def]
    key_file = json.loads(KEYS_JSON)
    key_file["keys"].append({"name": "ben", "role": "moderator", "sites": ["kommblog"], "key": "ben-" + "k" * 28})
    client = await aiohttp_client(create_app(settings.with_overrides(api_keys_json=json.dumps(key_file))))
    item_id = await hold(client, comment, 1)
    headers = {"Authorization": "Bearer ben-" + "k" * 28}
    await client.post(f"/v1/review/items/{item_id}/claim", headers=headers)
    response = await client.post("/v1/review/decisions", headers=headers,
                                 json={"items": [item_id, "nonsense"], "action": "approve"})
    body = await response.json()
    assert response.status == 200 and body["decided"] == 1
    assert [r["ok"] for r in body["results"]] == [True, False] and body["results"][1]["error"]["code"] == "not_found"
    response = await client.post("/v1/review/decisions", headers=headers,
                                 json={"items": ["otherblog:aaaaaaaaaaaaaaaa"], "action": "approve"})
    assert response.status == 403  # another site's item is still refused as a whole


async def test_labels_stored_with_personal_fields_are_exported_without_them(client, redis) -> None:  # type: ignore[no-untyped-def]
    """Examples collected before personal fields were left out lose them on the way out."""
    older = {"content": "Danke!", "labels": {"spam": 0}, "source": "moderator", "site_id": "kommblog",
             "post_id": "p1", "author_email": "jana@example.org", "author_ip": "203.0.113.7", "author_name": "Jana"}
    await redis.xadd(keys.labels("kommblog"), {"example": json.dumps(older)})
    await redis.sadd(keys.sites(), "kommblog")
    response = await client.get("/v1/ops/labels?site_id=kommblog", headers=auth("admin"))
    [line] = (await response.text()).splitlines()
    assert json.loads(line) == {"content": "Danke!", "labels": {"spam": 0}, "source": "moderator",
                                "site_id": "kommblog", "post_id": "p1"}


async def test_a_site_nobody_knows_is_a_404_not_an_empty_queue(client, comment) -> None:  # type: ignore[no-untyped-def]
    """A typo in ``site_id`` must not look like a queue that was cleared."""
    await hold(client, comment, 1)
    for method, path, body in (("GET", "/v1/review/stats?site_id=komblog", None),
                               ("GET", "/v1/review/items?site_id=komblog", None),
                               ("POST", "/v1/review/claims", {"site_id": "komblog"})):
        status, answer = await call(client, method, path, json=body)
        assert status == 404, path
        assert answer["error"]["message"] == ("No site 'komblog': no comment was ever submitted for it, and the "
                                              "sites file does not name it. Sites you may review: kommblog.")
    status, _ = await call(client, "GET", "/v1/review/audit?site_id=komblog")
    assert status == 404
    status, _ = await call(client, "GET", "/v1/review/stats?site_id=kommblog")
    assert status == 200
    # nor, for an operator, like a site without labels or webhook deliveries
    for path in ("/v1/ops/labels?site_id=komblog", "/v1/ops/deliveries?site_id=komblog"):
        status, answer = await call(client, "GET", path, role="admin")
        assert status == 404, path
        assert answer["error"]["message"] == ("No site 'komblog': no comment or label was ever stored for it, and "
                                              "the sites file does not name it. Known sites: kommblog.")
    for path in ("/v1/ops/labels?site_id=kommblog", "/v1/ops/deliveries?site_id=kommblog"):
        response = await client.get(path, headers=auth("admin"))
        assert response.status == 200, path


async def test_one_authors_held_comments_by_their_author_key(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    jana = [await hold(client, comment, n) for n in range(2)]
    kai = await hold(client, {**comment, "author_name": "Kai", "author_email": "kai@example.org"}, 9)
    _, listed = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    keys_by_id = {item["id"]: item["author_key"] for item in listed["items"]}
    assert keys_by_id[jana[0]] == keys_by_id[jana[1]] != keys_by_id[kai]
    assert "jana" not in keys_by_id[jana[0]] and len(keys_by_id[jana[0]]) == 32  # a keyed hash, not the address
    status, only = await call(client, "GET", f"/v1/review/items?author={keys_by_id[jana[0]]}&order=risk")
    assert status == 200 and sorted(item["id"] for item in only["items"]) == sorted(jana)
    status, claimed = await call(client, "POST", "/v1/review/claims", json={"count": 5, "author": keys_by_id[kai]})
    assert [item["id"] for item in claimed["items"]] == [kai]
    status, empty = await call(client, "GET", "/v1/review/items?author=")  # empty: no filter, as post= and reason=
    assert status == 200 and len(empty["items"]) == 3
    status, body = await call(client, "GET", f"/v1/review/items?author={keys_by_id[kai]}%0A")
    assert status == 422
    status, body = await call(client, "GET", "/v1/review/items?author=jana@example.org")
    assert status == 422
    assert body["error"]["fields"] == {
        "author": ["Use an item's 'author_key' (32 hexadecimal digits; keys are per site)."]}
    await call(client, "POST", f"/v1/review/items/{kai}/decision", json={"action": "spam"})
    assert await redis.zcard(keys.pending_for_author("kommblog", keys_by_id[kai])) == 0


@pytest.fixture
async def two_sites(aiohttp_client, settings, tmp_path):  # type: ignore[no-untyped-def]
    """A client whose sites file gives kommblog's thresholds to otherblog too (so that insults are held on
    both), and a moderator key for kommblog only."""
    sites_file = tmp_path / "two-sites.toml"
    sites_file.write_text(SITES_TOML + SITES_TOML.replace("[sites.kommblog", "[sites.otherblog"), encoding="utf-8")
    key_file = json.loads(KEYS_JSON)
    key_file["keys"].append({"name": "ben", "role": "moderator", "sites": ["kommblog"], "key": "ben-" + "k" * 28})
    return await aiohttp_client(create_app(settings.with_overrides(sites_file=sites_file,
                                                                   api_keys_json=json.dumps(key_file))))


async def hold_on(client, comment, site_id, n):  # type: ignore[no-untyped-def]
    role = "blog" if site_id == "kommblog" else "other_blog"
    response = await client.post("/v1/comments", headers=auth(role), json={
        **comment, "site_id": site_id, "comment_id": f"c{n}", "author_email": f"a{n}@example.org",
        "content": f"{INSULT} {'!' * (n % 3)} ({n})"})
    body = await response.json()
    assert body["decision"] == "hold", body
    return body["id"]


@pytest.mark.parametrize("order", ["oldest", "risk"])
@pytest.mark.parametrize("scope", ["site_id=kommblog&", ""])
async def test_cursor_pages_neither_skip_nor_repeat_while_colleagues_decide(  # type: ignore[no-untyped-def]
        two_sites, comment, order, scope) -> None:
    """A moderator pages through the queue while colleagues decide items they have already seen (and some they
    have not): with ``next_cursor`` every item still waiting is listed once, none skipped, none twice. An
    offset, counted in a list that lost items meanwhile, skipped as many items as had left before it."""
    client = two_sites
    held = [await hold_on(client, comment, "kommblog", n) for n in range(7)]
    if not scope:
        held += [await hold_on(client, comment, "otherblog", n) for n in range(7, 12)]
    seen: list[str] = []
    decided: set[str] = set()
    cursor = None
    for _ in range(20):
        query = f"/v1/review/items?{scope}order={order}&limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = await call(client, "GET", query)
        assert status == 200, page
        seen += [item["id"] for item in page["items"]]
        # a colleague decides the first item of the page just read, and one not listed yet
        unseen = [i for i in held if i not in seen and i not in decided]
        for item_id in [item["id"] for item in page["items"][:1]] + unseen[:1]:
            await call(client, "POST", f"/v1/review/items/{item_id}/claim", role="admin")
            status, _ = await call(client, "POST", f"/v1/review/items/{item_id}/decision", role="admin",
                                   json={"action": "approve"})
            assert status == 200
            decided.add(item_id)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))  # none twice
    assert set(held) - decided <= set(seen)  # none that waited all along skipped
    assert set(seen) <= set(held)


async def test_a_cursor_is_checked_and_named_when_wrong(client, comment) -> None:  # type: ignore[no-untyped-def]
    ids = [await hold(client, comment, n) for n in range(3)]
    status, page = await call(client, "GET", "/v1/review/items?limit=2")
    assert status == 200 and [i["id"] for i in page["items"]] == ids[:2] and page["next_cursor"]
    status, rest = await call(client, "GET", f"/v1/review/items?limit=2&cursor={page['next_cursor']}")
    assert status == 200 and [i["id"] for i in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    for query in ("cursor=nonsense", "cursor=oldest:nan:kommblog:aaaaaaaaaaaaaaaa", "cursor=oldest:1:kommblog",
                  f"order=risk&cursor={page['next_cursor']}", f"offset=2&cursor={page['next_cursor']}"):
        status, body = await call(client, "GET", f"/v1/review/items?{query}")
        assert status == 422 and "cursor" in body["error"]["fields"], (query, body)
    status, body = await call(client, "GET", f"/v1/review/items?order=risk&cursor={page['next_cursor']}")
    assert "order=oldest" in body["error"]["fields"]["cursor"][0]


@pytest.mark.parametrize("path", ["/v1/review/items?site_id=kommblog&site_id=otherblog",
                                  "/v1/review/items?post=p1&post=p2",
                                  "/v1/review/items?reason=insult&limit=5&reason=toxicity",
                                  "/v1/review/audit?site_id=kommblog&site_id=otherblog",
                                  "/v1/review/stats?site_id=kommblog&site_id=otherblog",
                                  "/v1/ops/labels?site_id=kommblog&site_id=otherblog",
                                  "/v1/ops/deliveries?status=failed&status=pending"])
async def test_a_filter_given_twice_is_a_422_not_the_first_one_silently(client, comment, path) -> None:  # type: ignore[no-untyped-def]
    """Filters do not take lists: ``post=p1&post=p2`` listed p1 alone, as if p2 had nothing waiting."""
    await hold(client, comment, 1)
    status, body = await call(client, "GET", path, role="admin" if "/ops/" in path else "moderator")
    name = path.split("&")[-1].split("=")[0]
    assert status == 422 and name in body["error"]["fields"], body
    assert "once" in body["error"]["fields"][name][0]


async def test_a_reason_nobody_knows_is_a_422_not_an_empty_queue(client, comment) -> None:  # type: ignore[no-untyped-def]
    """A typo in ``reason`` (``toxicty``) listed nothing and claimed nothing, as if that part of the queue
    were cleared; a reason that exists but has nothing waiting is an empty page."""
    item_id = await hold(client, comment, 1)
    for method, path, body in (("GET", "/v1/review/items?reason=toxicty", None),
                               ("GET", "/v1/review/items?site_id=kommblog&reason=Insult", None),
                               ("POST", "/v1/review/claims", {"reason": "toxicty"})):
        status, answer = await call(client, method, path, json=body)
        assert status == 422, (path, answer)
        [message] = answer["error"]["fields"]["reason"]
        assert "toxicity" in message and "words.banned" in message, message
    for reason in ("threat", "words.banned", "signals", "flood", "trusted_author"):
        status, answer = await call(client, "GET", f"/v1/review/items?reason={reason}")
        assert status == 200 and answer["items"] == [], reason
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    for reason in {r["name"] for r in item["reasons"]}:  # whatever held it is a reason to list by
        status, answer = await call(client, "GET", f"/v1/review/items?reason={reason}")
        assert status == 200 and [i["id"] for i in answer["items"]] == [item_id], reason


async def test_an_items_history_lists_every_step_in_order_with_who_and_when(two_sites, comment, redis) -> None:  # type: ignore[no-untyped-def]
    """A head moderator reads one comment's trail: claims, decisions (with categories and note), the undo, the
    blog's edit and its own decision, oldest first, without paging through the whole site's audit log."""
    client = two_sites
    item_id = await hold_on(client, comment, "kommblog", 1)
    other = await hold_on(client, comment, "kommblog", 2)
    await call(client, "POST", f"/v1/review/items/{other}/claim")  # another item's steps stay out of it
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision",
               json={"action": "reject", "categories": ["insult"], "note": "grob"})
    await call(client, "POST", f"/v1/review/items/{item_id}/reopen", role="admin")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", role="admin", json={"action": "approve"})
    response = await client.post("/v1/comments", headers=auth("blog"), json={
        **comment, "comment_id": "c1", "author_email": "a1@example.org", "content": INSULT + " Idiot!"})
    assert (await response.json())["decision"] == "hold"
    status, _ = await call(client, "POST", f"/v1/comments/{item_id}/decision", role="blog", json={"action": "spam"})
    assert status == 200

    status, history = await call(client, "GET", f"/v1/review/items/{item_id}/history")
    assert status == 200 and history["id"] == item_id
    steps = [(e["action"], e["actor"]) for e in history["entries"]]
    assert steps == [("claim", "mod"), ("decide", "mod"), ("reopen", "ops"), ("decide", "ops"), ("edit", "blog"),
                     ("decide", "kommblog")]
    assert all(e["item"] == item_id for e in history["entries"])
    assert [e["at"] for e in history["entries"]] == sorted(e["at"] for e in history["entries"])
    first_decision = history["entries"][1]["after"]
    assert first_decision == {"status": "rejected", "action": "reject", "categories": ["insult"], "note": "grob",
                              "revision": 1}
    assert history["entries"][2]["before"]["decided_by"] == "mod"
    assert history["entries"][4]["after"]["revision"] == 2
    assert history["entries"][5]["after"]["revision"] == 2  # each decision names the version it decided
    # the same entries as in the site's audit log
    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog")
    assert [e for e in audit["entries"] if e["item"] == item_id][::-1] == history["entries"]

    # a moderator of another site reads none of it; an item never held has no history
    ben = {"Authorization": "Bearer ben-" + "k" * 28}
    other_site = await hold_on(client, comment, "otherblog", 3)
    response = await client.get(f"/v1/review/items/{other_site}/history", headers=ben)
    assert response.status == 403
    status, _ = await call(client, "GET", "/v1/review/items/kommblog:aaaaaaaaaaaaaaaa/history")
    assert status == 404
