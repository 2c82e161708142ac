"""The versioned artifacts in ``models/``: list, promote, roll back, prune, and tell running services.

``models/<version>/`` holds one artifact each, ``models/LIVE`` names the one in service and ``models/HISTORY``
the versions that were live before it (most recent last); see :mod:`moderation_service.live_model`.
Promoting or rolling back only moves the pointer (an atomic rename). Every service process that shares the
folder follows the pointer within seconds; with ``--redis-url`` a notice on the Redis channel
``moderation:model:db<n>`` (of the Redis database given) makes processes on every host reload at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import redis as sync_redis
from sklearn.pipeline import Pipeline

from moderation_service.live_model import (
    history,
    live_version,
    reload_notice,
    set_live,
    write_history,
)
from moderation_service.model import artifact
from moderation_service.model.artifact import ModelArtifactError
from moderation_service.review import keys

#: Versions ``prune`` keeps besides the live one and its predecessor; ``MODERATION_MODELS_KEEP`` overrides it.
DEFAULT_KEEP = 5
KEEP_VARIABLE = "MODERATION_MODELS_KEEP"


class RegistryError(Exception):
    """An operation on ``models/`` that cannot be done; the message says why."""


class RegistryBusy(RegistryError):
    """Another command (``holder``, as it said in :data:`LOCK_FILE`) is changing ``models/``; nothing was changed."""

    def __init__(self, holder: str, models_dir: Path) -> None:
        self.busy = f"another moderation-train command ({holder}) is changing {models_dir}; nothing was changed"
        super().__init__(f"{self.busy}. Run it again when that one has finished (models list shows what is live)")


#: How long a command waits for another one that is changing ``models/`` before it gives up, changing nothing.
LOCK_WAIT_SECONDS = 30.0
#: The file in ``models/`` that a command changing ``LIVE``, ``HISTORY`` or the versions holds (``flock``).
LOCK_FILE = ".lock"


@contextlib.contextmanager
def changing(models_dir: Path, what: str) -> Iterator[None]:
    """Hold ``models/`` for one change of ``LIVE``, ``HISTORY`` or its versions (``what``, for the message of a
    command that finds it held). Without it, two operators at once both read the same live version as the one
    to remember: ``HISTORY`` lost one of their versions, and a prune removed the version a promotion was making
    live. A command waits up to :data:`LOCK_WAIT_SECONDS` for another one to finish, then gives up."""
    try:
        handle = (models_dir / LOCK_FILE).open("a+", encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot change {models_dir} ({exc.strerror or exc}): run the command as a user who may "
                            "write to it") from None
    with handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "pid unknown"
                    raise RegistryBusy(holder, models_dir) from None
                time.sleep(0.2)
        try:
            handle.truncate(0)
            handle.write(f"models {what}, pid {os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def default_keep() -> int:
    raw = os.environ.get(KEEP_VARIABLE, "")
    if not raw:
        return DEFAULT_KEEP
    if not raw.isdigit() or int(raw) < 1:
        raise RegistryError(f"{KEEP_VARIABLE}: expected a whole number of at least 1, got {raw!r}")
    return int(raw)


def load_pipeline(directory: Path) -> tuple[Pipeline, dict[str, Any]]:
    """A verified artifact's fitted pipeline and manifest (raises :class:`ModelArtifactError` with the reason)."""
    manifest = artifact.verify(directory)
    return joblib.load(directory / artifact.MODEL_FILE), manifest


def update_manifest(directory: Path, **changes: Any) -> dict[str, Any]:
    """Rewrite fields of an artifact's manifest (atomic rename).

    The manifest is not among the checksummed files (it holds their checksums), so the artifact stays
    verifiable; the versions and checksums it records are never touched here.
    """
    manifest = artifact.read_manifest(directory)
    protected = sorted({"format", "version", "versions", "files"} & set(changes))
    if protected:
        raise RegistryError(f"{directory}: the manifest fields {protected} are not changed after training")
    manifest.update(changes)
    temporary = directory / f".{artifact.MANIFEST_FILE}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(directory / artifact.MANIFEST_FILE)
    return manifest


@dataclass(frozen=True)
class Entry:
    version: str
    directory: Path
    manifest: dict[str, Any] | None
    problem: str | None  # why it fails verification, None when it is fine

    @property
    def created(self) -> str:
        return str((self.manifest or {}).get("created_at") or "")


def entries(models_dir: Path, verify: bool = True) -> list[Entry]:
    """Every artifact folder in ``models_dir``, oldest first (by creation time, then name)."""
    found = []
    folders = sorted(models_dir.iterdir()) if models_dir.is_dir() else []
    for directory in (d for d in folders if (d / artifact.MANIFEST_FILE).is_file()):
        manifest, problem = None, None
        try:
            manifest = artifact.verify(directory) if verify else artifact.read_manifest(directory)
        except ModelArtifactError as exc:
            problem = str(exc)
            with contextlib.suppress(ModelArtifactError):  # listed all the same, without its details
                manifest = artifact.read_manifest(directory)
        found.append(Entry(directory.name, directory, manifest, problem))
    return sorted(found, key=lambda e: (e.created, e.version))


def is_version_name(version: str) -> bool:
    """Whether ``version`` names a folder of the models folder, not a path (``../elsewhere``)."""
    return version not in ("", ".", "..") and os.sep not in version and not (os.altsep and os.altsep in version)


def _known(models_dir: Path) -> str:
    """The versions in ``models_dir``, for a message that names one that is not there."""
    return ", ".join(e.version for e in entries(models_dir, verify=False)) or "none"


def _directory(models_dir: Path, version: str) -> Path:
    directory = models_dir / version
    if not is_version_name(version):
        raise RegistryError(f"no model version {version!r} in {models_dir}: a version is the name of a folder in it "
                            f"(versions: {_known(models_dir)}); copy an artifact from elsewhere into it first")
    if not (directory / artifact.MANIFEST_FILE).is_file():
        raise RegistryError(f"no model version {version!r} in {models_dir} (versions: {_known(models_dir)})")
    return directory


def redis_location(redis_url: str) -> str:
    """Where a Redis URL points (host:port/db, or the socket's path), without its password, for messages."""
    try:
        given = sync_redis.connection.parse_url(redis_url)
    except ValueError:
        return "the URL given (not a redis://, rediss:// or unix:// URL)"
    place = given.get("path") or f"{given.get('host', 'localhost')}:{given.get('port', 6379)}"
    return f"{place}/{given.get('db', 0)}"


@contextlib.contextmanager
def _redis(redis_url: str) -> Iterator[sync_redis.Redis]:
    """A client for one call, closed after it; an unreachable server fails within 5 s."""
    client = sync_redis.Redis.from_url(redis_url, socket_connect_timeout=5)
    try:
        yield client
    finally:
        client.close()


def reach(redis_url: str | None) -> None:
    """Check that the reload notice can be published, before anything is changed."""
    if not redis_url:
        return
    try:
        with _redis(redis_url) as client:
            client.ping()
    except (sync_redis.RedisError, ValueError) as exc:
        raise RegistryError(
            f"cannot reach Redis at {redis_location(redis_url)} to publish the reload notice ({exc}); nothing was "
            "changed. Check --redis-url (the service's REDIS_URL), or leave it out: the service processes that "
            "share this models/ folder follow models/LIVE within 2 s") from None


def notify(redis_url: str | None, version: str) -> int | None:
    """Publish the reload notice and keep it in Redis (one transaction); the number of service processes that
    heard it (None without Redis). A process that did not hear it (its connection to Redis was down, or it
    starts later) reads the kept notice when it subscribes (:func:`moderation_service.app.listen_for_promotions`)."""
    if not redis_url:
        return None
    try:
        with _redis(redis_url) as client:
            channel = keys.reload_channel(client.connection_pool.connection_kwargs.get("db", 0))
            notice = reload_notice(version)
            _, heard = client.pipeline(transaction=True).set(keys.promoted_model(), notice).publish(
                channel, notice).execute()
            return int(heard)
    except sync_redis.RedisError as exc:
        raise RegistryError(
            f"{version} is live in models/LIVE, but the reload notice was not published on Redis at "
            f"{redis_location(redis_url)} ({exc}): the service processes that share this models/ folder follow it "
            f"within 2 s; to tell the others, run 'moderation-train models promote {version} --redis-url URL' "
            "again once Redis answers") from None


def _loadable(directory: Path, version: str, what: str) -> dict[str, Any]:
    """The manifest of an artifact that verifies and loads as the service loads it (a model that verifies but
    fails to unpickle here would be refused by every running process, and stop one that starts)."""
    try:
        return artifact.load(directory).manifest
    except ModelArtifactError as exc:
        raise RegistryError(f"not {what}, {version} fails verification: {exc}") from None
    except Exception as exc:  # whatever unpickling raises
        raise RegistryError(f"not {what}, {version} cannot be loaded ({type(exc).__name__}: {exc}); retrain it "
                            "in this environment") from None


def _changes(gate: dict[str, Any]) -> str:
    """The thresholds changed after gating, as ``spam hold 0.41 -> 0.5 (2026-11-28T17:40:00Z)``."""
    return "; ".join(f"{c.get('attribute')} {c.get('kind')} {c.get('from')} -> {c.get('to')} ({c.get('at')})"
                     for c in gate.get("thresholds_changed") or [] if isinstance(c, dict))


def is_live(directory: Path) -> bool:
    """Whether the artifact in ``directory`` is the one its models folder's ``LIVE`` names (``--model .`` inside
    it too; a version folder that is a symbolic link keeps its own name)."""
    absolute = Path(os.path.abspath(directory))
    return live_version(absolute.parent) == absolute.name


def stale_gate_note(directory: Path) -> str:
    """What ``thresholds --write`` tells the operator about a gated model whose thresholds it changed."""
    manifest = artifact.read_manifest(directory)
    gate = manifest.get("gate") or {}
    verdict = "passed" if gate.get("passed") else "refused"
    against = f" against {manifest['compared_with']}" if manifest.get("compared_with") else ""
    name = Path(os.path.abspath(directory)).name
    then = ("it is live and serves with them now (promoting it again after a rollback needs no --force)"
            if is_live(directory) else
            "it was promoted with --force before, and is promoted again without it" if manifest.get("forced") else
            f"promoting it now needs --force (moderation-train models promote {name} --force, "
            "recorded as \"forced\": true), or retrain a candidate with these thresholds in mind")
    return (f"note: the gate {verdict} {manifest.get('version', name)}{against} with the thresholds it "
            f"had then; its record (\"gate\" in the manifest, and report/) does not describe the thresholds written "
            f"now, which is noted there (gate.thresholds_changed: {_changes(gate)}); {then}")


def _gate_objection(version: str, manifest: dict[str, Any]) -> str | None:
    """Why the gate's record does not let ``version`` be promoted without ``--force``: it refused it, or it
    judged other thresholds than the manifest's now (``moderation-train thresholds --write`` after the gate)."""
    gate = manifest.get("gate")
    if not isinstance(gate, dict) or manifest.get("forced"):
        return None
    against = manifest.get("compared_with") or "the live model"
    if gate.get("passed") is False:
        reasons = "; ".join(str(f.get("message")) for f in gate.get("failures") or [] if isinstance(f, dict))
        return f"the gate refused {version} against {against}: {reasons or 'see its report'}"
    if any(isinstance(c, dict) and not c.get("while_live") for c in gate.get("thresholds_changed") or []):
        return (f"the gate passed {version} against {against} with other thresholds than it has now "
                f"({_changes(gate)}): its F1 at the hold threshold and the ordinary comments it marks spam were "
                "not compared with the live model's at these")
    return None


#: ``promote``'s ``compared_with`` when the caller compared the version with no live model in particular.
ANY_LIVE = object()


def promote(models_dir: Path, version: str, redis_url: str | None = None, force: bool = False,
            compared_with: object = ANY_LIVE) -> int | None:
    """Make ``version`` live after verifying it; returns :func:`notify`'s count.

    ``compared_with``: the version ``LIVE`` named (None: none) when ``retrain`` compared the candidate with it;
    if another is live now (an operator promoted or rolled back meanwhile), nothing is changed.

    A candidate the gate refused (its manifest's ``gate``), or whose thresholds were changed after the gate
    judged it, is promoted only with ``force``, which records ``"forced": true`` in its manifest, as ``retrain
    --force`` does. Promoting the live version again only announces it, whatever its gate record says.
    """
    directory = _directory(models_dir, version)
    with changing(models_dir, f"promote {version}"):
        if compared_with is not ANY_LIVE and (now := live_version(models_dir)) != compared_with:
            raise RegistryError(
                f"not promoted, {now or 'no version'} is live now, and the candidate was compared with "
                f"{compared_with or 'no live model'} (another operator promoted or rolled back meanwhile): retrain "
                f"again to compare it with {now or 'nothing'}, or promote it by hand (moderation-train models "
                f"promote {version})")
        manifest = _loadable(directory, version, "promoted")
        objection = _gate_objection(version, manifest) if live_version(models_dir) != version else None
        if objection and not force:
            raise RegistryError(
                f"not promoted, {objection}. To promote it anyway: moderation-train models promote {version} --force "
                "(recorded as \"forced\": true in its manifest)")
        reach(redis_url)
        if objection:
            update_manifest(directory, forced=True)
        set_live(models_dir, version)
        return notify(redis_url, version)


def rollback(models_dir: Path, redis_url: str | None = None) -> tuple[str, int | None]:
    """Make the previously live version live again and drop it from ``HISTORY``; returns it and the count."""
    with changing(models_dir, "rollback"):
        previous = history(models_dir)
        if not previous:
            raise RegistryError(f"nothing to roll back to: {models_dir}/HISTORY lists no earlier live version")
        target = previous[-1]
        if not (models_dir / target / artifact.MANIFEST_FILE).is_file():
            raise RegistryError(
                f"not rolled back: {models_dir}/HISTORY names {target} as the version live before, and its folder is "
                f"gone (removed by hand?); promote the version to go back to (models promote VERSION; versions: "
                f"{_known(models_dir)}), or remove the line {target} from {models_dir}/HISTORY")
        _loadable(_directory(models_dir, target), target, "rolled back")
        reach(redis_url)
        set_live(models_dir, target, remember=False)
        write_history(models_dir, previous[:-1])
        return target, notify(redis_url, target)


def protected_versions(models_dir: Path) -> set[str]:
    """The live version and the one before it (what a rollback needs): never pruned."""
    live = live_version(models_dir)
    return {v for v in (live, *history(models_dir)[-1:]) if v}


def prune(models_dir: Path, keep: int, dry_run: bool = False) -> list[str]:
    """Remove all but the ``keep`` newest versions, never the live one or its predecessor; returns the removed."""
    if keep < 1:
        raise RegistryError(f"--keep must be at least 1, got {keep}")
    with contextlib.nullcontext() if dry_run else changing(models_dir, "prune"):
        everything = entries(models_dir, verify=False)
        kept = protected_versions(models_dir) | {e.version for e in everything[-keep:]}
        removed = [e for e in everything if e.version not in kept]
        if not dry_run:
            for entry in removed:
                shutil.rmtree(entry.directory)
            names = {e.version for e in removed}
            write_history(models_dir, [v for v in history(models_dir) if v not in names])
        return [e.version for e in removed]


def _data_summary(manifest: dict[str, Any]) -> str:
    data = manifest.get("data") or []
    total = sum(int(d.get("examples", 0)) for d in data)
    return f"{len(data)} sets, {total:,} texts"


#: The scores whose validation ROC-AUC and F1 (at the hold threshold) ``models list`` shows.
KEY_METRICS = ("spam", "toxicity")


def _key_metrics(manifest: dict[str, Any]) -> str:
    metrics = manifest.get("metrics") or {}
    shown = []
    for name in KEY_METRICS:
        entry = metrics.get(name) or {}
        if entry.get("roc_auc") is not None:
            shown.append(f"{name} AUC {entry['roc_auc']:.3f} F1 {entry.get('f1') or 0:.3f}")
    return ", ".join(shown) or "-"


def _measured_at(manifest: dict[str, Any], name: str) -> Any:
    """The hold threshold ``name``'s validation F1 was measured at: the metrics' own record of it, else (a
    manifest from before metrics named it) the first threshold a written change replaced, else the current one."""
    recorded = ((manifest.get("metrics") or {}).get(name) or {}).get("threshold")
    if recorded is not None:
        return recorded
    changes = [c for c in manifest.get("threshold_changes") or []
               if isinstance(c, dict) and c.get("attribute") == name and c.get("kind") == "hold"]
    return changes[0].get("from") if changes else ((manifest.get("thresholds") or {}).get(name) or {}).get("hold")


def stale_metrics(manifest: dict[str, Any]) -> str | None:
    """The scores whose F1 ``models list`` shows at another hold threshold than the model has now (changed by
    ``moderation-train thresholds --write`` since training), as ``spam hold 0.5223, now 0.99``; None if none."""
    stale = []
    for name in KEY_METRICS:
        measured = _measured_at(manifest, name)
        now = ((manifest.get("thresholds") or {}).get(name) or {}).get("hold")
        if isinstance(measured, int | float) and isinstance(now, int | float) and measured != now:
            stale.append(f"{name} hold {measured:g}, now {now:g}")
    return "; ".join(stale) or None


def _row(manifest: dict[str, Any], status: str) -> str:
    """A version's row of ``models list`` after its name: created, data, metrics and ``status`` with its notes."""
    if manifest.get("forced"):
        status += " (promoted by --force past the gate)"
    if (manifest.get("gate") or {}).get("thresholds_changed"):
        status += " (thresholds changed after the gate)"
    if (stale := stale_metrics(manifest)) is not None:
        status += f" (F1 measured at earlier thresholds: {stale})"
    created = str(manifest.get("created_at") or "")
    return f"{created:<22}{_data_summary(manifest):<24}{_key_metrics(manifest):<56}{status}"


def format_entries(models_dir: Path, found: list[Entry]) -> str:
    """``models list`` as a table: newest last, ``*`` marks the live version, ``<`` its predecessor."""
    live, previous = live_version(models_dir), (history(models_dir) or [None])[-1]
    header = f"{'':2}{'version':<24}{'created':<22}{'data':<24}{'metrics (validation)':<56}status"
    lines = [header, "-" * len(header)]
    for entry in found:
        mark = "*" if entry.version == live else "<" if entry.version == previous else ""
        status = "ok" if entry.problem is None else f"FAILS VERIFICATION: {entry.problem}"
        try:
            lines.append(f"{mark:<2}{entry.version:<24}{_row(entry.manifest or {}, status)}")
        except (AttributeError, TypeError, ValueError, KeyError) as exc:  # a manifest edited by hand, say
            lines.append(f"{mark:<2}{entry.version:<24}{entry.created:<22}{'?':<24}{'?':<56}{status} (manifest fields "
                         f"not as models list reads them: {type(exc).__name__}: {exc})")
    lines.append("* live, < live before (rollback target)" if found else f"no model artifacts in {models_dir}")
    return "\n".join(lines)
