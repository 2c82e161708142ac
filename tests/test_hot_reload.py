"""Switching models without a restart: API call, SIGHUP, live pointer, Redis notice; bad models refused;
no request fails while the model changes under load."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from moderation_service.app import create_app
from moderation_service.live_model import ModelHolder, reload_notice, set_live
from moderation_service.review import keys
from tests.conftest import auth


def make_version(models_dir: Path, source: Path, version: str) -> Path:
    """A copy of the test artifact under another version name (the manifest itself is not checksummed)."""
    target = models_dir / version
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


@pytest.fixture
def models(settings, model_dir):  # type: ignore[no-untyped-def]
    folder = settings.models_dir
    folder.mkdir(parents=True)
    make_version(folder, model_dir, "v1")
    make_version(folder, model_dir, "v2")
    set_live(folder, "v1")
    return folder


@pytest.fixture
async def client(aiohttp_client, settings, models):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings.with_overrides(model_dir=None)))


@pytest.fixture
async def unwatched_client(aiohttp_client, settings, models, monkeypatch):  # type: ignore[no-untyped-def]
    """The service with its models/LIVE watcher looking never: only the way under test (SIGHUP, a notice) can
    switch the model. (The watcher looks every 2 s: a test that told them apart by a deadline of 1.5 s passed on
    the watcher's switch when its body started late, and failed when the reload itself took longer.)"""
    async def never(self: ModelHolder, interval: float = 2.0) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(ModelHolder, "watch_pointer", never)
    return await aiohttp_client(create_app(settings.with_overrides(model_dir=None)))


async def version(client) -> str:  # type: ignore[no-untyped-def]
    return (await (await client.get("/readyz", headers=auth("monitor"))).json())["checks"]["model"]["version"]


async def until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.1)


async def test_reload_by_api(client, models) -> None:  # type: ignore[no-untyped-def]
    assert await version(client) == "v1"
    set_live(models, "v2")
    response = await client.post("/v1/ops/model/reload", headers=auth("admin"))
    body = await response.json()
    assert response.status == 200 and body["changed"] is True and body["version"] == "v2"
    submitted = await client.post("/v1/comments", json={"site_id": "kommblog", "content": "Hallo"},
                                  headers=auth("blog"))
    assert (await submitted.json())["model_version"] == "v2"
    again = await client.post("/v1/ops/model/reload", headers=auth("admin"))
    assert (await again.json())["changed"] is False
    assert (await client.post("/v1/ops/model/reload", headers=auth("moderator"))).status == 403


async def test_reload_when_the_live_pointer_changes(client, models) -> None:  # type: ignore[no-untyped-def]
    set_live(models, "v2")

    async def switched() -> bool:
        return await version(client) == "v2"

    await until(switched)


async def test_rewritten_thresholds_of_the_live_model_take_effect(client, models) -> None:  # type: ignore[no-untyped-def]
    # moderation-train thresholds --write rewrites the live version's manifest (atomically): the watcher sees it.
    manifest_path = models / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["thresholds"]["toxicity"]["hold"] = 0.987
    temporary = manifest_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest))
    temporary.replace(manifest_path)

    async def rewritten() -> bool:
        body = await (await client.get("/v1/ops/model", headers=auth("admin"))).json()
        return bool(body["thresholds"]["toxicity"]["hold"] == 0.987)

    await until(rewritten)
    body = await (await client.get("/v1/ops/model", headers=auth("admin"))).json()
    assert body["untrained_attributes"] == []  # the test model has labels for every score
    assert await version(client) == "v1"
    response = await client.post("/v1/ops/model/reload", headers=auth("admin"))
    assert (await response.json())["changed"] is False  # nothing changed since


async def test_reload_on_sighup(unwatched_client, models) -> None:  # type: ignore[no-untyped-def]
    set_live(models, "v2")
    os.kill(os.getpid(), signal.SIGHUP)

    async def switched() -> bool:
        return await version(unwatched_client) == "v2"

    await until(switched)


async def test_reload_on_redis_notice(unwatched_client, models, redis) -> None:  # type: ignore[no-untyped-def]
    (models / "LIVE").write_text("v2\n")  # changed behind the watcher's back (it does not look)...
    await announce(redis, "v2")  # ...and announced once the service listens

    async def switched() -> bool:
        return await version(unwatched_client) == "v2"

    await until(switched)


async def test_a_damaged_model_is_refused_and_the_old_one_keeps_serving(client, models) -> None:  # type: ignore[no-untyped-def]
    with (models / "v2" / "model.joblib").open("ab") as handle:
        handle.write(b"damage")
    set_live(models, "v2")
    response = await client.post("/v1/ops/model/reload", headers=auth("admin"))
    body = await response.json()
    assert response.status == 409 and body["error"]["current"] == "v1"
    assert "keeps serving" in body["error"]["message"] and "does not match the manifest" in body["error"]["message"]
    ready = await (await client.get("/readyz", headers=auth("monitor"))).json()
    assert ready["status"] == "degraded" and ready["checks"]["model"]["version"] == "v1"
    assert "does not match the manifest" in ready["checks"]["model"]["reload_error"]
    submitted = await client.post("/v1/comments", json={"site_id": "kommblog", "content": "Hallo"},
                                  headers=auth("blog"))
    assert submitted.status == 200 and (await submitted.json())["model_version"] == "v1"

    # The operator points LIVE back at the model that serves: nothing is wrong any more, and /readyz (and the
    # reload_failed alert) say so at the next look, without a forced reload.
    set_live(models, "v1")

    async def recovered() -> bool:
        ready = await (await client.get("/readyz", headers=auth("monitor"))).json()
        return bool(ready["status"] == "ok" and ready["checks"]["model"]["reload_error"] is None)

    await until(recovered, timeout=5)


async def test_no_request_fails_during_reloads_under_load(client, models) -> None:  # type: ignore[no-untyped-def]
    async def one(n: int) -> tuple[int, str]:
        body = {"site_id": "kommblog", "comment_id": f"load-{n}", "content": f"Kommentar Nummer {n}, danke!"}
        response = await client.post("/v1/comments", json=body, headers=auth("blog"))
        return response.status, (await response.json()).get("model_version", "")

    async def flip() -> None:
        for target in ("v2", "v1", "v2"):
            set_live(models, target)
            await client.post("/v1/ops/model/reload", headers=auth("admin"))
            await asyncio.sleep(0.05)

    results, _ = await asyncio.gather(asyncio.gather(*[one(n) for n in range(400)]), flip())
    assert [status for status, _ in results] == [200] * 400
    assert {v for _, v in results} <= {"v1", "v2"}
    assert await version(client) == "v2"


async def test_rewritten_thresholds_of_the_live_model_decide_the_next_comments(client, models) -> None:  # type: ignore[no-untyped-def]
    # The same version reloaded with other thresholds: decisions follow them, not the ones read before
    # (otherblog decides with the manifest's thresholds).
    comment = {"site_id": "otherblog", "content": "Danke für den hilfreichen Artikel, sehr gut erklärt!"}
    first = await (await client.post("/v1/comments", json={**comment, "comment_id": "before"},
                                     headers=auth("other_blog"))).json()
    assert first["decision"] == "publish", first
    manifest_path = models / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["thresholds"]["toxicity"]["hold"] = 0.000001
    temporary = manifest_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest))
    temporary.replace(manifest_path)

    async def rewritten() -> bool:
        body = await (await client.get("/v1/ops/model", headers=auth("admin"))).json()
        return bool(body["thresholds"]["toxicity"]["hold"] == 0.000001)

    await until(rewritten)
    second = await (await client.post("/v1/comments", json={**comment, "comment_id": "after"},
                                      headers=auth("other_blog"))).json()
    assert second["decision"] == "hold", second
    assert [(r["name"], r["threshold"]) for r in second["reasons"] if r["kind"] == "score"] == [
        ("toxicity", 0.000001)]


@pytest.mark.parametrize(("change", "reason"), [
    (lambda m: m["thresholds"]["toxicity"].pop("hold"), "thresholds"),  # every comment was a 500 after the reload
    (lambda m: m["thresholds"]["spam"].update(spam="0.9"), "thresholds"),
    (lambda m: m.update(files=[]), "files"),  # an AttributeError that the reload let through
    (lambda m: m.update(versions="1.9.1"), "versions"),
])
async def test_a_damaged_manifest_is_refused_and_the_old_model_keeps_deciding(  # type: ignore[no-untyped-def]
        client, models, change, reason) -> None:
    manifest_path = models / "v2" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    change(manifest)
    manifest_path.write_text(json.dumps(manifest))
    set_live(models, "v2")
    response = await client.post("/v1/ops/model/reload", headers=auth("admin"))
    body = await response.json()
    assert response.status == 409 and body["error"]["current"] == "v1"
    assert f"{reason} in the manifest" in body["error"]["message"]
    submitted = await client.post("/v1/comments", json={"site_id": "otherblog", "content": "Danke!"},
                                  headers=auth("other_blog"))
    assert submitted.status == 200 and (await submitted.json())["model_version"] == "v1"


async def test_readyz_tells_why_only_to_a_monitor_or_admin_key(client, models) -> None:  # type: ignore[no-untyped-def]
    """A load balancer's probe needs the status, not the models folder's path, the model's version or Redis's
    own error text: those go to a monitor or admin key."""
    with (models / "v2" / "model.joblib").open("ab") as handle:
        handle.write(b"damage")
    set_live(models, "v2")
    assert (await client.post("/v1/ops/model/reload", headers=auth("admin"))).status == 409
    anonymous = await client.get("/readyz")
    text = await anonymous.text()
    assert anonymous.status == 200 and (await anonymous.json())["status"] == "degraded"
    assert str(models) not in text and "manifest" not in text and "v1" not in text
    assert (await anonymous.json())["checks"] == {"redis": {"ok": True}, "model": {"ok": True},
                                                   "spool": {"pending": 0, "rejected": 0}}
    for role in ("monitor", "admin"):
        ready = await (await client.get("/readyz", headers=auth(role))).json()
        assert ready["checks"]["model"]["version"] == "v1"
        assert str(models) in ready["checks"]["model"]["reload_error"]
    # a blog key is no monitor's: it gets what anyone gets
    assert await (await client.get("/readyz", headers=auth("blog"))).text() == text


async def until_listening(redis) -> str:  # type: ignore[no-untyped-def]
    """Until a service subscribed to the channel of ``redis``'s database; the channel."""
    channel = keys.reload_channel(redis.connection_pool.connection_kwargs.get("db", 0))

    async def listening() -> bool:
        return bool((await redis.pubsub_numsub(channel))[0][1])

    await until(listening)
    return channel


@pytest.fixture
def followed(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Where each promotion notice the service has followed came from, noted once it has been dealt with: a test
    can wait for the kept notice to be read, then look (not 0.3 s after the subscription, and hope)."""
    follow = ModelHolder.follow_notice
    done: list[str] = []

    async def noted(self: ModelHolder, message: str | bytes, source: str) -> None:
        await follow(self, message, source)
        done.append(source)

    monkeypatch.setattr(ModelHolder, "follow_notice", noted)
    return done


async def until_the_kept_notice_is_read(followed: list[str]) -> None:
    async def read() -> bool:
        return bool(followed)

    await until(read)
    assert followed == [f"the promotion kept in {keys.promoted_model()}"]


async def announce(redis, version: str) -> None:  # type: ignore[no-untyped-def]
    """Publish the promotion notice once the service listens (a notice before that reaches nobody)."""
    await redis.publish(await until_listening(redis), json.dumps({"event": "promoted", "version": version}))


async def readiness(client) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return await (await client.get("/readyz", headers=auth("monitor"))).json()  # type: ignore[no-any-return]


async def test_a_notice_of_a_version_this_host_does_not_make_live_is_reported(  # type: ignore[no-untyped-def]
        client, models, redis) -> None:
    """A host with its own copy of models/ hears the promotion made on another host, but its LIVE still names
    the old version: it said nothing and served the old model, while the promoting command counted it as
    having heard. Now it reports the difference until its LIVE names the announced version."""
    await announce(redis, "v2")

    async def reported() -> bool:
        return (await readiness(client))["status"] == "degraded"

    await until(reported)
    ready = await readiness(client)
    assert ready["checks"]["model"]["version"] == "v1"
    error = ready["checks"]["model"]["reload_error"]
    assert "v2 was promoted" in error and f"{models / 'LIVE'} here names v1" in error
    assert "moderation-train models promote v2" in error
    body = await (await client.get("/v1/ops/model", headers=auth("admin"))).json()
    assert body["last_reload_error"] == error
    set_live(models, "v2")  # the operator promotes it on this host too

    async def switched() -> bool:
        ready = await readiness(client)
        return bool(ready["status"] == "ok" and ready["checks"]["model"]["version"] == "v2")

    await until(switched)
    assert (await readiness(client))["checks"]["model"]["reload_error"] is None


async def test_a_notice_to_a_process_serving_a_fixed_artifact_is_reported(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, redis) -> None:
    client = await aiohttp_client(create_app(settings))  # MODERATION_MODEL: the session's test artifact
    await announce(redis, "v2")

    async def reported() -> bool:
        return (await readiness(client))["status"] == "degraded"

    await until(reported)
    error = (await readiness(client))["checks"]["model"]["reload_error"]
    assert "v2 was promoted" in error and "MODERATION_MODEL" in error
    assert (await readiness(client))["checks"]["model"]["version"] == "test-model"


async def test_rewritten_thresholds_of_a_fixed_artifact_reach_every_worker(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, model_dir, tmp_path) -> None:
    """A service started with MODERATION_MODEL did not watch its artifact's manifest: after ``thresholds
    --write`` only the worker that answered ``POST /v1/ops/model/reload?force=1`` (the command's advice) took
    the new thresholds, and the other workers went on deciding with the old ones. Every process now watches
    the manifest it serves, as those that follow models/LIVE do."""
    fixed = make_version(tmp_path / "pinned", model_dir, "pinned")
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=fixed)))
    manifest = json.loads((fixed / "manifest.json").read_text())
    manifest["thresholds"]["toxicity"]["hold"] = 0.987
    temporary = fixed / ".manifest.json.tmp"
    temporary.write_text(json.dumps(manifest))
    temporary.replace(fixed / "manifest.json")

    async def rewritten() -> bool:
        body = await (await client.get("/v1/ops/model", headers=auth("admin"))).json()
        return bool(body["thresholds"]["toxicity"]["hold"] == 0.987)

    await until(rewritten)
    assert await version(client) == "pinned"


def unloadable(models: Path, version: str) -> None:
    """Make ``version``'s model.joblib a pickle that verifies (its checksum in the manifest) but fails to load
    with neither OSError nor ValueError: a class from a module this environment lacks (an artifact pickled with
    another numpy, say, whose version the manifest check does not compare)."""
    path = models / version / "model.joblib"
    path.write_bytes(b"cno_such_module_here\nThing\n.")
    manifest = json.loads((models / version / "manifest.json").read_text())
    manifest["files"]["model.joblib"] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                         "bytes": path.stat().st_size}
    (models / version / "manifest.json").write_text(json.dumps(manifest))


async def test_a_model_that_fails_to_unpickle_is_refused_and_the_watcher_goes_on(  # type: ignore[no-untyped-def]
        client, models, model_dir) -> None:
    """Loading raised an error other than the ones the reload caught: it escaped the pointer watcher, which
    stopped for good (no later promotion reached this process), and /readyz said ok while LIVE named a model
    this process did not serve."""
    unloadable(models, "v2")
    set_live(models, "v2")

    async def refused() -> bool:
        return (await readiness(client))["status"] == "degraded"

    await until(refused)
    ready = await readiness(client)
    assert ready["checks"]["model"]["version"] == "v1"
    assert "no_such_module_here" in ready["checks"]["model"]["reload_error"]
    make_version(models, model_dir, "v3")
    set_live(models, "v3")  # the next promotion reaches it

    async def switched() -> bool:
        ready = await readiness(client)
        return bool(ready["status"] == "ok" and ready["checks"]["model"]["version"] == "v3")

    await until(switched)


@pytest.mark.parametrize("folder", ["v2", "model-v2"])
async def test_a_notice_of_the_fixed_artifact_a_process_serves_is_no_problem(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, model_dir, tmp_path, redis, folder) -> None:
    """MODERATION_MODEL=models/v2, or a copy of v2 in a folder of another name (/srv/model-v2), and v2 is
    promoted: the process serves that version (the copy was reported all the same while only the folder's
    name was compared)."""
    fixed = make_version(tmp_path / "models", model_dir, "v2").rename(tmp_path / folder)
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=fixed)))
    await announce(redis, "v1")  # another version: reported...

    async def degraded() -> bool:
        return (await readiness(client))["status"] == "degraded"

    await until(degraded)
    await announce(redis, "v2")  # ...and the one it serves is no problem

    async def fine() -> bool:
        ready = await readiness(client)
        return bool(ready["status"] == "ok" and ready["checks"]["model"]["reload_error"] is None)

    await until(fine)


def test_a_live_model_that_fails_to_unpickle_stops_the_start_with_a_message(models) -> None:  # type: ignore[no-untyped-def]
    """The start raised the unpickling error itself (a traceback), where a model failing verification stops it
    with a message naming the artifact and what to do."""
    from moderation_service.exceptions import ConfigurationError
    from moderation_service.live_model import ModelHolder

    unloadable(models, "v2")
    with pytest.raises(ConfigurationError) as error:
        ModelHolder.load(models / "v2", models)
    assert str(error.value).startswith(f"cannot load the model: {models / 'v2'}: cannot load it (ModuleNotFoundError")
    assert "moderation-train models rollback" in str(error.value)



def promote_elsewhere(tmp_path: Path, model_dir: Path, version: str, redis_url: str) -> str:
    """``moderation-train models promote`` on another host (its own models/ folder), announced on ``redis_url``;
    what the command printed."""
    import contextlib
    import io

    from training.cli import main

    folder = tmp_path / "promoting-host-models"
    if not folder.is_dir():
        folder.mkdir()
        make_version(folder, model_dir, "v1")
        set_live(folder, "v1")
    if not (folder / version).is_dir():
        make_version(folder, model_dir, version)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["models", "promote", version, "--models-dir", str(folder), "--redis-url", redis_url]) == 0
    return printed.getvalue()


async def reported_as_missed(client, version: str) -> str:  # type: ignore[no-untyped-def]
    """Wait until the service reports that ``version`` was promoted and it does not serve it; the report."""
    async def reported() -> bool:
        return (await readiness(client))["status"] == "degraded"

    await until(reported)
    error: str = (await readiness(client))["checks"]["model"]["reload_error"]
    assert f"{version} was promoted at " in error and f"promotion kept in {keys.promoted_model()}" in error
    metrics = await (await client.get("/metrics", headers=auth("monitor"))).text()
    assert "\nmoderation_model_reload_failed 1.0\n" in metrics
    return error


async def test_a_promotion_made_before_the_service_started_is_reported(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, models, model_dir, redis, tmp_path, caplog) -> None:
    """A process that was not running when another host promoted v2 never heard the notice, and served v1
    saying nothing, while the other hosts served v2. The promotion is kept in Redis with the notice, and a
    process reads it when it subscribes: it reports it as it reports a heard notice (log, /readyz, metric)."""
    printed = promote_elsewhere(tmp_path, model_dir, "v2", settings.redis_url)
    assert "reload notice heard by 0 service process(es), and kept in Redis for those that subscribe later" in printed
    assert json.loads(await redis.get(keys.promoted_model()))["version"] == "v2"
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=None)))
    error = await reported_as_missed(client, "v2")
    assert f"{models / 'LIVE'} here names v1" in error and "moderation-train models promote v2" in error
    assert "moderation-train models promote v1 --redis-url" in error  # or announce the version meant to serve
    assert (await readiness(client))["checks"]["model"]["version"] == "v1"
    assert any("v1 keeps serving: v2 was promoted" in r.getMessage() for r in caplog.records)
    set_live(models, "v2")  # the operator promotes it on this host too

    async def switched() -> bool:
        ready = await readiness(client)
        return bool(ready["status"] == "ok" and ready["checks"]["model"]["version"] == "v2")

    await until(switched)


async def test_a_kept_promotion_of_the_version_served_is_no_problem(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, models, redis, followed) -> None:
    from training.cli import main

    assert main(["models", "promote", "v2", "--models-dir", str(models), "--redis-url", settings.redis_url]) == 0
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=None)))
    await until_the_kept_notice_is_read(followed)
    ready = await readiness(client)
    assert ready["status"] == "ok" and ready["checks"]["model"]["version"] == "v2"


async def test_a_kept_promotion_older_than_this_hosts_own_choice_is_history(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, models, redis, followed) -> None:
    """One host: v2 promoted with --redis-url (kept in Redis), then rolled back to v1 without it (enough where
    every process shares models/). A process started later read the older kept notice and reported v2 as
    missed (/readyz degraded, 'this host does not share the promoting host's models/ folder') until the next
    promotion with --redis-url, while the processes that kept running reported nothing. What LIVE here says
    was written after that promotion: the host's own later choice, not a missed one."""
    from training.cli import main

    assert main(["models", "promote", "v2", "--models-dir", str(models), "--redis-url", settings.redis_url]) == 0
    await asyncio.sleep(0.05)  # an operator's next command (file times are coarser than the clock)
    assert main(["models", "rollback", "--models-dir", str(models)]) == 0
    assert json.loads(await redis.get(keys.promoted_model()))["version"] == "v2"
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=None)))
    await until_the_kept_notice_is_read(followed)
    ready = await readiness(client)
    assert ready["status"] == "ok" and ready["checks"]["model"]["version"] == "v1"
    assert ready["checks"]["model"]["reload_error"] is None
    await announce(redis, "v2")  # a promotion made after it still counts
    await reported_or_fail(client)


async def test_a_kept_promotion_older_than_a_fixed_artifacts_process_is_history(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, models, redis, followed) -> None:
    """A process started with MODERATION_MODEL after v2 was promoted was started so knowingly: the kept notice
    made it start degraded after any promotion its database ever had. One heard while it runs is reported."""
    from training.cli import main

    assert main(["models", "promote", "v2", "--models-dir", str(models), "--redis-url", settings.redis_url]) == 0
    await asyncio.sleep(0.05)
    client = await aiohttp_client(create_app(settings))  # MODERATION_MODEL: the session's test artifact
    await until_the_kept_notice_is_read(followed)
    ready = await readiness(client)
    assert ready["status"] == "ok" and ready["checks"]["model"]["reload_error"] is None
    await announce(redis, "v2")
    await reported_or_fail(client)


async def test_a_heard_promotion_is_history_once_this_host_chooses_after_it(  # type: ignore[no-untyped-def]
        client, models, redis) -> None:
    """A host with its own models/ heard v3 promoted elsewhere and reported it; its operator then chose what this
    host serves (promote v2 here, without --redis-url). A process started now takes the kept v3 notice as history,
    but the one that heard it went on reporting it (until a reconnection to Redis made it read the notice again)."""
    from training.cli import main

    await redis.publish(await until_listening(redis), reload_notice("v3"))
    await reported_or_fail(client)
    await asyncio.sleep(0.05)  # file times are coarser than the clock
    assert main(["models", "promote", "v2", "--models-dir", str(models)]) == 0

    async def chosen() -> bool:
        ready = await readiness(client)
        return bool(ready["status"] == "ok" and ready["checks"]["model"]["version"] == "v2")

    await until(chosen)
    assert (await readiness(client))["checks"]["model"]["reload_error"] is None


async def reported_or_fail(client) -> None:  # type: ignore[no-untyped-def]
    async def reported() -> bool:
        return (await readiness(client))["status"] == "degraded"

    await until(reported)


async def test_a_promotion_missed_while_the_connection_to_redis_was_down_is_reported(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, models, model_dir, private_redis, tmp_path) -> None:
    """The service listens; its Redis goes away and comes back, and v2 is promoted before the service has
    subscribed again: nobody hears the notice. Once the service subscribes again it reads the kept one."""
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=None, redis_url=private_redis.url)))
    channel = keys.reload_channel(0)

    async def listening() -> bool:
        control = Redis.from_url(private_redis.url)  # a new connection each time: the server goes away
        try:
            return bool((await control.pubsub_numsub(channel))[0][1])
        finally:
            await control.aclose()

    await until(listening)
    private_redis.stop()
    await asyncio.sleep(0.5)  # the subscription breaks; the service tries again in 5 s
    private_redis.start()
    assert "reload notice heard by 0 " in promote_elsewhere(tmp_path, model_dir, "v2", private_redis.url)
    assert (await readiness(client))["status"] == "ok"  # not told yet
    await reported_as_missed(client, "v2")
    assert await listening()


async def test_a_promotion_kept_while_the_subscription_dropped_is_read_when_redis_py_resubscribes(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, models, private_redis) -> None:
    """A dropped connection with Redis still up is reconnected inside redis-py, which subscribes again on its own
    (the service's listening loop never sees an error): its confirmation is where the kept notice is read."""
    client = await aiohttp_client(create_app(settings.with_overrides(model_dir=None, redis_url=private_redis.url)))
    control = Redis.from_url(private_redis.url)
    try:
        await until_listening(control)
        # kept as if published while this process's connection was down (nobody heard it)
        await control.set(keys.promoted_model(), json.dumps({"event": "promoted", "version": "v2", "at": time.time()}))
        assert await control.client_kill_filter(_type="pubsub") == 1  # this test's own server: only the service
        await reported_as_missed(client, "v2")
    finally:
        await control.aclose()
