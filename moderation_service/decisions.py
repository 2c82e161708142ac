"""The decision path every protocol shares: score the comment, apply the site's policy, keep the record.

Adapters (``/v1``, and later Akismet, Perspective, Coral) only translate their protocol into a
:class:`~moderation_service.comments.Comment` and the resulting :class:`Outcome` back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .comments import INITIAL_STATUS, Comment, Record, public_id
from .identity import Hasher
from .live_model import ModelHolder
from .metrics import Metrics
from .model.artifact import Model
from .model.explain import Features
from .policy import Decision, Reason, Thresholds, decide, spam_evidence
from .redis_connection import REDIS_DOWN
from .review.spool import Spool
from .review.store import CommentStore
from .signals.base import Hit
from .signals.config import SignalConfig
from .signals.stateful import SignalState
from .signals.stateless import stateless_hits
from .sites import Sites

logger = logging.getLogger(__name__)

class RedisHealth:
    """Whether Redis served the last request; while it is down (or refusing), requests go straight to the spool."""

    def __init__(self) -> None:
        self.ok = True
        self.error: str | None = None
        self.since = time.time()
        #: What in Redis's configuration can lose records (read at start, see ``configuration_warnings``).
        self.warnings: list[str] = []

    def down(self, exc: BaseException) -> None:
        if self.ok:
            logger.warning("Redis unavailable (%s): answering from the model, spooling records locally", exc)
            self.ok, self.since = False, time.time()
        self.error = f"{type(exc).__name__}: {exc}"

    def up(self) -> None:
        if not self.ok:
            logger.info("Redis reachable again")
            self.ok, self.error, self.since = True, None, time.time()


class Assessment(NamedTuple):
    """What the model made of a comment: the model itself, its scores, and the features behind them."""

    model: Model
    scores: dict[str, float]
    features: Features


@dataclass(frozen=True)
class Outcome:
    record: Record
    #: True when the comment had been submitted before and the earlier record is returned.
    repeated: bool = False
    #: True when Redis was unreachable and the record waits in the local spool.
    spooled: bool = False


def explained(reasons: list[Reason], model: Model, features: Features) -> list[Reason]:
    """Score reasons with the words that drove each score (only when a score decided: no cost on publish).

    A spam score the model does not have (signals alone decided) has no words to show."""
    names = [reason.name for reason in reasons if reason.kind == "score" and reason.name not in model.untrained]
    if not names:
        return reasons
    phrases = model.explain(features, list(dict.fromkeys(names)))
    return [reason.explained(phrases[reason.name]) if reason.kind == "score" and reason.name in phrases else reason
            for reason in reasons]


class Evaluator:
    """Scores a comment, runs the signals that need no state, and applies its site's policy.

    It stores nothing: batch scoring uses it alone; :class:`DecisionPath` adds the stateful signals and
    keeps the record.
    """

    def __init__(self, models: ModelHolder, sites: Sites) -> None:
        self.models = models
        self.sites = sites
        #: (site, model version) -> the model's thresholds as read, and the site's thresholds made of them.
        self._thresholds: dict[tuple[str, str], tuple[Mapping[str, Any], Thresholds]] = {}
        self._signals: dict[str, SignalConfig] = {}

    def thresholds_for(self, site_id: str, model: Model) -> Thresholds:
        key = (site_id, model.version)
        cached = self._thresholds.get(key)
        # A version reloaded with its thresholds rewritten (moderation-train thresholds --write) is another
        # manifest under the same version: its thresholds are read again.
        if cached is None or cached[0] is not model.thresholds:
            thresholds = Thresholds.from_config(model.thresholds)
            for overrides in self.sites.overrides_for(site_id):
                thresholds = thresholds.overridden(overrides)
            cached = self._thresholds[key] = (model.thresholds, thresholds)
        return cached[1]

    def signals_for(self, site_id: str) -> SignalConfig:
        config = self._signals.get(site_id)
        if config is None:
            config = self._signals[site_id] = self.sites.signals_for(site_id)
        return config

    def assess(self, comment: Comment) -> Assessment:
        """Score the comment with the model in service now."""
        model = self.models.current
        scores, features = model.assess(comment.content)
        return Assessment(model, scores, features)

    def evaluate(self, comment: Comment, state_hits: Sequence[Hit] = (), identities: dict[str, Any] | None = None,
                 received_at: float | None = None, assessment: Assessment | None = None,
                 record_id: str | None = None, explain: bool = True) -> Record:
        """The record of a decision: model scores, signal hits (these and ``state_hits``), policy.

        ``explain=False`` leaves out the words behind each deciding score (batch scoring writes no reasons);
        the decision is the same."""
        received = time.time() if received_at is None else received_at
        model, scores, features = assessment or self.assess(comment)
        hits = stateless_hits(comment, self.signals_for(comment.site_id), datetime.fromtimestamp(received, UTC))
        hits += state_hits
        thresholds = self.thresholds_for(comment.site_id, model)
        unscored = model.untrained
        decision, reasons = decide(scores, thresholds, hits, unscored)
        if explain:
            reasons = explained(reasons, model, features)
        extra: dict[str, Any] = {"spam_combined": spam_evidence(scores, hits, unscored)} if any(
            h.spam for h in hits) else {}
        if unscored:  # moderators are not shown scores the model does not have
            extra["unscored"] = list(unscored)
        if decision is Decision.HOLD and not self.sites.reviews_here(comment.site_id):
            extra["reviewed_elsewhere"] = True
        return Record(
            id=record_id or public_id(comment.site_id, comment.identity()),
            comment=comment,
            decision=decision,
            status=INITIAL_STATUS[decision],
            scores=scores,
            reasons=[r.as_dict() for r in reasons] + [hit.as_reason() for hit in hits],
            model_version=model.version,
            thresholds=thresholds.as_dict(),
            received_at=received,
            extra=extra,
            identities=identities or {},
        )


class DecisionPath:
    """Evaluate with every signal, then keep the record: in Redis, or in the local spool while Redis is down."""

    def __init__(
        self, evaluator: Evaluator, store: CommentStore, spool: Spool, health: RedisHealth,
        signal_state: SignalState, hasher: Hasher, metrics: Metrics,
    ) -> None:
        self.evaluator = evaluator
        self.store = store
        self.spool = spool
        self.health = health
        self.signal_state = signal_state
        self.hasher = hasher
        self.metrics = metrics

    async def _state_hits(self, comment: Comment, identities: dict[str, Any], normalized: str,
                          record_id: str) -> list[Hit]:
        if not self.health.ok:
            return []
        try:
            config = self.evaluator.signals_for(comment.site_id)
            return await self.signal_state.hits(comment, identities, config, normalized, self.store.key_of(record_id))
        except REDIS_DOWN as exc:
            self.health.down(exc)
            return []

    async def submit(self, comment: Comment) -> Outcome:
        outcome = await self._submit(comment)
        self.metrics.decided(outcome.record, repeated=outcome.repeated, spooled=outcome.spooled)
        return outcome

    async def _submit(self, comment: Comment) -> Outcome:
        identities = self.hasher.identities(comment).as_dict()
        # Scored first: the model a request starts with is the one it finishes with, even across a reload.
        assessment = self.evaluator.assess(comment)
        record_id = public_id(comment.site_id, comment.identity())
        state_hits = await self._state_hits(comment, identities, assessment.features.normalized, record_id)
        record = self.evaluator.evaluate(comment, state_hits, identities, assessment=assessment, record_id=record_id)
        return await self._keep(record)

    async def submit_unjudged(self, comment: Comment, why: str) -> Outcome:
        """Keep a version of a comment that has nothing to judge (Coral's edit down to a GIF alone: no text),
        unscored and published, as the protocol leaves it; ``why`` is kept in the record's ``extra``. It is an
        edit like any other: the version it replaces leaves the review queue, and a claim on it ends."""
        record = Record(
            id=public_id(comment.site_id, comment.identity()), comment=comment, decision=Decision.PUBLISH,
            status=INITIAL_STATUS[Decision.PUBLISH], scores={}, reasons=[], model_version="", thresholds={},
            received_at=time.time(), extra={"unjudged": why}, identities=self.hasher.identities(comment).as_dict())
        outcome = await self._keep(record)
        self.metrics.decided(outcome.record, repeated=outcome.repeated, spooled=outcome.spooled)
        return outcome

    async def _keep(self, record: Record) -> Outcome:
        """Store ``record`` in Redis, or in the local spool while Redis is down."""
        if self.health.ok:
            try:
                stored = await self.store.record(record)
            except REDIS_DOWN as exc:
                self.health.down(exc)
            else:
                if stored.deleted:  # the blog deleted it while this request was being decided: it stays deleted
                    logger.info("comment %s was deleted by the blog while it was decided: not kept", record.id)
                return Outcome(stored.record, repeated=stored.repeated)
        await self.spool.put(record)
        return Outcome(record, spooled=True)
