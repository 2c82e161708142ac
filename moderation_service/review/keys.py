"""Every Redis key the service uses is built here.

All keys of one site share the hash tag ``{<site>}``, so that each script touching a comment, its site's
queue indexes, audit log, labels and outbox runs on one Redis Cluster slot. The only keys outside a site
are the set of sites itself, the moderator sessions, the sign-in throttle, the marks of one-off migrations
and the last promoted model.
"""

from __future__ import annotations

NAMESPACE = "moderation"
#: Labelled examples that belong to no site (e.g. feedback without one) go to this pseudo-site.
NO_SITE = "_"


def _site(site_id: str) -> str:
    return f"{NAMESPACE}:{{{site_id}}}"


def reload_channel(database: int) -> str:
    """Pub/sub channel: notices of a promoted model for the services of one Redis database. Redis delivers a
    message to subscribers on every database of the server, so the channel names its database: services of
    another deployment on the same server neither reload nor count as having heard it."""
    return f"{NAMESPACE}:model:db{database}"


def promoted_model() -> str:
    """String: the last promotion notice (the JSON published on :func:`reload_channel`), written with it in one
    transaction by ``moderation-train models promote`` / ``rollback`` / ``retrain``, so that a service process
    that was not listening then (Redis away, or started later) learns of it when it subscribes. A key lives in
    one database, so unlike the channel it needs no database in its name."""
    return f"{NAMESPACE}:model:promoted"


def comment(site_id: str, token: str) -> str:
    """Hash: the record of one decided comment (status, claim, decision, and a JSON document)."""
    return f"{_site(site_id)}:comment:{token}"


def counted(record_key: str) -> str:
    """String (expires): the version of a comment whose signals were counted before its record was written, so
    that copies of one request arriving together (a blog's retries) are counted once."""
    return f"{record_key}:counted"


def deleted(record_key: str) -> str:
    """String (expires): when the blog deleted the comment of this record, so that a version of it received
    before then (waiting in a local spool while Redis was away) is not stored after the deletion."""
    return f"{record_key}:deleted"


def erased(record_key: str) -> str:
    """Hash (expires): the last request to erase the personal data of a comment's author (``at``: when, ``by``:
    whose key), so that a version of the comment received before then that reaches Redis later (from a local
    spool, where it waited while Redis was away) is erased as it is stored. The store's RECORD script builds
    this key from the record's (``<record>:erased``): keep the two in step."""
    return f"{record_key}:erased"


def kept_decision(record_key: str) -> str:
    """Hash (expires): the blog's last decision about a comment that had no record in Redis when it came (the
    record may wait in a local spool while Redis is away for the process that has it): what it decided, who,
    when and through which call, applied when the record arrives (see the store's RECORD script); while it is
    applied, until when (``applying``, the queue's SETTLE_DECISION). The blog's next word on its way replaces it
    (SUPERSEDE_DECISION: a decision, applied on the record's next delivery should its request not get to it), or
    marks it ``superseded`` (a take-back: nothing is applied). A take-back of a comment that has no record leaves
    its own mark here (FORGET_DECISION: ``taken_back``, ``at``, ``by``), which an older word does not replace."""
    return f"{record_key}:kept-decision"


def correction(site_id: str, token: str, action: str) -> str:
    """String: the blog corrected the model's decision on one comment so (its label is kept once)."""
    return f"{_site(site_id)}:correction:{token}:{action}"


def migrated(name: str) -> str:
    """String: a one-off change of stored data (``name``) is done."""
    return f"{NAMESPACE}:migrated:{name}"


def coral_thread(site_id: str, thread_hash: str) -> str:
    """List: the comment ids given to one Coral user's latest comments in one thread (story and parent, keyed
    hash), newest first, so that Coral's EDIT, which names no comment, is known as an edit of one of them."""
    return f"{_site(site_id)}:coral:thread:{thread_hash}"


def pending(site_id: str) -> str:
    """Sorted set: held comments waiting for review, scored by arrival time (oldest first)."""
    return f"{_site(site_id)}:pending"


def pending_by_risk(site_id: str) -> str:
    """Sorted set: the same comments scored by risk (their highest score)."""
    return f"{_site(site_id)}:pending:risk"


def pending_for_post(site_id: str, post: str) -> str:
    """Sorted set: held comments of one post, by arrival time."""
    return f"{_site(site_id)}:pending:post:{post}"


def pending_for_author(site_id: str, author_hash: str) -> str:
    """Sorted set: held comments of one author (their keyed hash, see moderation_service.identity), by arrival."""
    return f"{_site(site_id)}:pending:author:{author_hash}"


def pending_for_reason(site_id: str, reason: str) -> str:
    """Sorted set: held comments that one reason (score or signal name) sent to review, by arrival time."""
    return f"{_site(site_id)}:pending:reason:{reason}"


def selection(site_id: str) -> str:
    """Sorted set, scratch: the index that gives a listing its order (arrival or risk) intersected with the
    post or reason filters. A script builds it and deletes it before it returns."""
    return f"{_site(site_id)}:pending:selection"


def reasons_index(site_id: str) -> str:
    """Set: the reason names that have a pending index (for queue statistics)."""
    return f"{_site(site_id)}:pending:reasons"


def claims(site_id: str) -> str:
    """Sorted set: claimed comments scored by the time their lease ends."""
    return f"{_site(site_id)}:claims"


def audit(site_id: str) -> str:
    """Stream: every moderation action (who, when, what, before and after)."""
    return f"{_site(site_id)}:audit"


def item_audit(site_id: str, token: str) -> str:
    """List: the ids of one item's entries in the site's audit stream, oldest first (the last 1,000), kept as
    long as its record. The scripts build it from the audit stream's key (``<audit>:<token>``), and the record's
    from the same prefix: keep the three keys side by side."""
    return f"{audit(site_id)}:{token}"


def labels(site_id: str) -> str:
    """Stream: labelled examples collected for retraining, in the training schema."""
    return f"{_site(site_id)}:labels"


def decisions_per_day(site_id: str, day: str) -> str:
    """Hash: moderator name -> decisions taken on ``day`` (YYYY-MM-DD)."""
    return f"{_site(site_id)}:stats:decisions:{day}"


def author(site_id: str, author_hash: str) -> str:
    """Hash: approved / rejected / spam counts of one author (keyed by a hash, never the address)."""
    return f"{_site(site_id)}:author:{author_hash}"


def outbox_due(site_id: str) -> str:
    """Sorted set: webhook deliveries waiting, scored by when the next attempt is due."""
    return f"{_site(site_id)}:outbox:due"


def delivery(site_id: str, delivery_id: str) -> str:
    """Hash: one webhook delivery (payload, attempts, status, last error)."""
    return f"{_site(site_id)}:delivery:{delivery_id}"


def deliveries(site_id: str) -> str:
    """Sorted set: every delivery by creation time, for operators (pruned by age, with the deliveries' hashes)."""
    return f"{_site(site_id)}:deliveries"


def sites() -> str:
    """Set: every site that has sent a comment."""
    return f"{NAMESPACE}:sites"


def session(session_id_hash: str) -> str:
    """Hash: a moderator's web session (keyed by a hash of the cookie value)."""
    return f"{NAMESPACE}:session:{session_id_hash}"


def sign_in_failures(client_hash: str) -> str:
    """Counter with expiry: failed sign-ins to the moderator UI from one client (a keyed hash of its address, or
    of an IPv6 address's /64: see ``ui/throttle.py``) in the current throttle window."""
    return f"{NAMESPACE}:sign-in:failures:{client_hash}"


def flood(site_id: str, kind: str, identity: str) -> str:
    """Counter with expiry: comments from one IP (or author) in the current flood window."""
    return f"{_site(site_id)}:flood:{kind}:{identity}"


def reputation_prefix(site_id: str) -> str:
    """Start of the reputation keys (the decision script appends ``<kind>:<identity>``)."""
    return f"{_site(site_id)}:rep:"


def reputation(site_id: str, kind: str, identity: str) -> str:
    """Counter with expiry: spam verdicts on comments from this IP, e-mail address or link domain."""
    return f"{reputation_prefix(site_id)}{kind}:{identity}"


def duplicate_bucket(site_id: str, band: int, bucket: str) -> str:
    """Counter with expiry: comments whose MinHash band ``band`` fell into ``bucket`` in the window."""
    return f"{_site(site_id)}:dup:{band}:{bucket}"


def nothing(site_id: str) -> str:
    """A key that is never written, passed to scripts in place of an identity a comment does not have."""
    return f"{_site(site_id)}:none"
