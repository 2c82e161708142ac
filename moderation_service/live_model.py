"""The model the service scores with, where it comes from, and switching models without a restart.

Requests read :attr:`ModelHolder.current` once at their start and keep that object, so swapping in a new
model never changes the model under a request in flight and no request fails during a switch. A model
that fails verification is not loaded: the old one keeps serving and the failure shows in ``/readyz``.

A new model is picked up when an operator calls ``POST /v1/ops/model/reload``, on ``SIGHUP``, when the live
pointer ``models/LIVE`` changes (every process watches it; with several hosts, share ``models/`` as a
volume), and on a notice on the Redis channel ``moderation:model:db<n>`` of its Redis database
(``moderation-train models promote`` publishes one, so processes on every host reload at once, and keeps it
in Redis, where a process that did not hear it reads it when it subscribes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .exceptions import ConfigurationError
from .model import artifact
from .model.artifact import Model, ModelArtifactError

logger = logging.getLogger(__name__)

LIVE_POINTER = "LIVE"
HISTORY = "HISTORY"


def live_version(models_dir: Path) -> str | None:
    pointer = models_dir / LIVE_POINTER
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def live_directory(models_dir: Path) -> Path | None:
    """The artifact ``models/LIVE`` points to, or None when there is no live model yet."""
    version = live_version(models_dir)
    return models_dir / version if version else None


def history(models_dir: Path) -> list[str]:
    """Versions that were live before, most recent last: one a line (a version's name may hold a space)."""
    path = models_dir / HISTORY
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [line.strip() for line in lines if line.strip()]


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def write_history(models_dir: Path, versions: list[str]) -> None:
    """Replace ``HISTORY`` (most recent last), e.g. after a rollback or after pruning old versions."""
    _write_atomically(models_dir / HISTORY, "".join(f"{version}\n" for version in versions))


def set_live(models_dir: Path, version: str, remember: bool = True) -> None:
    """Point ``models/LIVE`` at ``version`` (atomic rename); the version it replaces goes to ``HISTORY``."""
    previous = live_version(models_dir)
    if remember and previous and previous != version:
        write_history(models_dir, [*history(models_dir), previous])
    _write_atomically(models_dir / LIVE_POINTER, version + "\n")


def resolve_model_dir(model_dir: Path | None, models_dir: Path) -> Path:
    if model_dir is not None:
        return model_dir
    live = live_directory(models_dir)
    if live is None:
        raise ConfigurationError(
            f"no model: {models_dir / LIVE_POINTER} does not exist. Train one with "
            f"'moderation-train train --data data --out {models_dir}/<version>' and point {LIVE_POINTER} at it, "
            "or set MODERATION_MODEL to an artifact directory."
        )
    return live


class ReloadFailed(Exception):
    """The new model was not loaded; the message says why. The previous model keeps serving."""


@dataclass
class ReloadState:
    last_attempt: float | None = None
    last_error: str | None = None
    reloads: int = 0


def manifest_signature(directory: Path) -> tuple[int, int] | None:
    """When and how large the artifact's manifest was last written: it changes when thresholds are rewritten."""
    try:
        stat = (directory / artifact.MANIFEST_FILE).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class ModelHolder:
    def __init__(self, model: Model, models_dir: Path | None = None) -> None:
        self.current = model
        #: Follow ``models/LIVE`` in this folder; ``None`` when a fixed artifact was configured.
        self.models_dir = models_dir
        self.state = ReloadState()
        self._lock = asyncio.Lock()
        self._signature = manifest_signature(model.directory)
        #: The last promotion notice, while this process does not follow it.
        self._announced: Announcement | None = None
        self._started = time.time()

    @classmethod
    def load(cls, directory: Path, models_dir: Path | None = None) -> ModelHolder:
        try:
            model = artifact.load(directory)
        except ModelArtifactError as exc:
            raise ConfigurationError(f"cannot load the model: {exc}") from None
        except Exception as exc:  # whatever unpickling raises (a module or class this environment lacks, …)
            raise ConfigurationError(
                f"cannot load the model: {directory}: {unloadable(exc)}, or serve another version "
                "('moderation-train models rollback', or MODERATION_MODEL)") from None
        logger.info("model %s loaded from %s", model.version, directory)
        _warn_untrained(model)
        return cls(model, models_dir)

    def wanted_directory(self) -> Path:
        if self.models_dir is None:
            return self.current.directory
        return resolve_model_dir(None, self.models_dir)

    def refusal(self) -> str | None:
        """Why the last reload was refused, while the model wanted (``LIVE``) is still not the one serving:
        once the operator points ``LIVE`` back at it, the refusal is history, not a problem to report."""
        if self.state.last_error is not None and self._serves_wanted():
            self.state.last_error = None
        return self.state.last_error or self._unheeded()

    def _unheeded(self) -> str | None:
        """Why this process does not serve the version the last promotion notice named: it serves a fixed
        artifact, or its own ``models/LIVE`` names another version (a host with a copy of ``models/``, not the
        promoting host's folder). None when there is nothing to report (a query): the announcement is dropped where
        it is followed (:meth:`_settle_announcement`), and one older than this host's own choice of what it serves
        (:meth:`_chosen_at`) is history, whether this process heard it while running or read it at subscription."""
        announced = self._announced
        if announced is None:
            return None
        if announced.at is not None and announced.at < self._chosen_at():
            return None  # this host chose what it serves after that promotion (heard or read): history
        if self.models_dir is None:
            # the artifact's folder, or a copy of it elsewhere under another name: its manifest's version
            if announced.version in (self.current.directory.name, self.current.version):
                return None
            return (f"{announced}, but this process serves the artifact "
                    f"MODERATION_MODEL names ({self.current.directory}) and follows no promotion; unset "
                    f"MODERATION_MODEL to serve {LIVE_POINTER}")
        here = live_version(self.models_dir)
        if here == announced.version:
            return None
        return (f"{announced}, but {self.models_dir / LIVE_POINTER} here "
                f"names {here}: this host does not share the promoting host's models/ folder. Copy the artifact "
                f"here and run 'moderation-train models promote {announced.version} --models-dir "
                f"{self.models_dir}', or share the folder (if {here} is the version meant to serve, announce it "
                f"instead: 'moderation-train models promote {here} --redis-url URL')")

    def _chosen_at(self) -> float:
        """When what this process serves was last chosen here: ``models/LIVE`` written (a promotion or rollback
        on this host, with or without ``--redis-url``), or, for a fixed artifact (``MODERATION_MODEL``), the
        process started with it. A promotion announced before that (the notice kept in Redis, read when the
        process subscribes) is not one it missed."""
        if self.models_dir is None:
            return self._started
        try:
            return (self.models_dir / LIVE_POINTER).stat().st_mtime
        except OSError:
            return 0.0

    def _settle_announcement(self) -> None:
        """Drop the announcement once this process follows it: its ``models/LIVE`` names the announced version.
        Called where that can change: a notice heard (or read at subscription), and a reload."""
        if (self._announced is not None and self.models_dir is not None
                and live_version(self.models_dir) == self._announced.version):
            self._announced = None

    async def follow_notice(self, message: str | bytes, source: str) -> None:
        """A promotion announced on Redis (:func:`reload_notice`), heard or read where the promoting command
        kept it (``source`` says which): reload, and when this process does not serve the version the notice
        names, say why (log, ``/readyz``) until it does; a notice older than this host's own choice of what it
        serves (:meth:`_chosen_at`) is history, not reported."""
        await self.reload_quietly(source)
        self._announced = Announcement.of(message, source)
        self._settle_announcement()
        if (why := self._unheeded()) is not None:
            logger.warning("%s keeps serving: %s", self.current.version, why)

    def _serves_wanted(self) -> bool:
        try:
            directory = self.wanted_directory()
        except ConfigurationError:
            return False
        return self._serves(directory, manifest_signature(directory))

    def _serves(self, directory: Path, signature: tuple[int, int] | None) -> bool:
        """Whether the artifact in ``directory``, with this manifest signature, is the one serving."""
        return directory.resolve() == self.current.directory.resolve() and signature == self._signature

    async def reload(self, force: bool = False) -> bool:
        """Load the live model if it differs from the current one (or always with ``force``).

        Returns whether the model changed; raises :class:`ReloadFailed` and keeps the old model otherwise.
        """
        async with self._lock:
            self.state.last_attempt = time.time()
            try:
                directory = self.wanted_directory()
            except ConfigurationError as exc:
                self.state.last_error = str(exc)
                raise ReloadFailed(str(exc)) from None
            signature = manifest_signature(directory)
            if self._serves(directory, signature) and not force:
                self.state.last_error = None  # what is wanted serves: an earlier refusal is history
                return False
            try:
                # Verifying checksums and unpickling take a second or more: keep the event loop serving.
                model = await asyncio.get_running_loop().run_in_executor(None, artifact.load, directory)
            except Exception as exc:  # whatever unpickling raises (a module or class this environment lacks, …)
                why = str(exc) if isinstance(exc, ModelArtifactError | OSError | ValueError) else unloadable(exc)
                self.state.last_error = f"{directory}: {why}"
                logger.error("model reload refused, %s keeps serving: %s", self.current.version, why)
                raise ReloadFailed(why) from None
            previous = self.current.version
            self.current, self._signature = model, signature
            self.state.last_error = None
            self.state.reloads += 1
            self._settle_announcement()
            logger.info("model switched from %s to %s", previous, model.version)
            _warn_untrained(model)
            return True

    async def reload_quietly(self, why: str) -> bool:
        """:meth:`reload`, said in the log: whether the model changed (a refusal is logged, and in ``/readyz``)."""
        try:
            if await self.reload():
                logger.info("reloaded after %s", why)
                return True
        except ReloadFailed:
            pass
        return False

    async def watch_pointer(self, interval: float = 2.0) -> None:
        """Reload when ``models/LIVE`` names another version, or the live version's manifest is rewritten
        (``moderation-train thresholds --write``); a process serving a fixed artifact (``MODERATION_MODEL``)
        watches that artifact's manifest, so that every worker takes rewritten thresholds, not only the one
        that answers ``POST /v1/ops/model/reload``."""
        seen = self._watched()
        while True:
            await asyncio.sleep(interval)
            now = self._watched()
            if now != seen:
                seen = now
                what = f"{LIVE_POINTER} or its manifest" if self.models_dir is not None else "the manifest"
                await self.reload_quietly(f"{what} changed ({now[0]})")

    def _watched(self) -> tuple[str | None, tuple[int, int] | None]:
        if self.models_dir is None:
            return str(self.current.directory), manifest_signature(self.current.directory)
        version = live_version(self.models_dir)
        return version, manifest_signature(self.models_dir / version) if version else None


def reload_notice(version: str) -> str:
    return json.dumps({"event": "promoted", "version": version, "at": time.time()})


def unloadable(exc: Exception) -> str:
    """Why a verified artifact could not be loaded (unpickling it raised ``exc``)."""
    return f"cannot load it ({type(exc).__name__}: {exc}); retrain it in this environment"


def _notice(message: str | bytes) -> dict[str, object]:
    try:
        notice = json.loads(message)
    except ValueError:
        return {}
    return notice if isinstance(notice, dict) else {}


def announced_version(message: str | bytes) -> str | None:
    """The version a reload notice names (None for a notice without one)."""
    version = _notice(message).get("version")
    return version if isinstance(version, str) and version else None


@dataclass(frozen=True)
class Announcement:
    """A promotion notice: the version it names, when it was published, and how this process learnt of it."""

    version: str
    at: float | None
    source: str

    @classmethod
    def of(cls, message: str | bytes, source: str) -> Announcement | None:
        version = announced_version(message)
        if version is None:
            return None
        at = _notice(message).get("at")
        return cls(version, float(at) if isinstance(at, int | float) else None, source)

    def __str__(self) -> str:
        """``v2 was promoted at 2026-11-28 17:40:01 UTC (a notice on moderation:model:db0)``"""
        when = time.strftime(" at %Y-%m-%d %H:%M:%S UTC", time.gmtime(self.at)) if self.at is not None else ""
        return f"{self.version} was promoted{when} ({self.source})"


def _warn_untrained(model: artifact.Model) -> None:
    if model.untrained:
        logger.warning("model %s was trained without labels for %s: those scores are always 0 and never hold "
                       "a comment", model.version, ", ".join(model.untrained))
