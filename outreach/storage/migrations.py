"""The schema's history: sqlite-utils migrations m001-m012, m014 to m016, applied by
``connect(path, migrate=True)``.

Each migration is history: it creates what it created the day it was written, so its SQL
is written out in it, never taken from a constant the code still uses. Today's definition
of a day's activity lives in :mod:`outreach.storage.activity`; changing it changes the
rollup, never what these migrations build.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("outreach")


@MIGRATIONS()
def m001_create_tables(db: Database) -> None:
    db.table("residents").create(
        {"id": str, "language": str, "opted_out": int, "session": str,
         "first_seen_on": str, "updated_at": str},
        pk="id",
    )  # fmt: skip
    db.table("processed_messages").create(
        {"id": str, "resident": str, "received_at": str, "reply": str}, pk="id"
    )
    db.table("outbound_messages").create(
        {"id": str, "resident": str, "status": str, "error_code": int, "updated_at": str},
        pk="id",
    )
    db.table("events").create(
        {"id": int, "resident": str, "at": str, "kind": str, "flow": str, "node": str,
         "language": str, "channel": str, "run": str, "field": str, "segments": int},
        pk="id",
    )  # fmt: skip
    db.table("events").create_index(["resident"])
    db.table("events").create_index(["at"])
    db.table("processed_messages").create_index(["received_at"])


@MIGRATIONS()
def m002_lighter_turns_and_unlinked_deliveries(db: Database) -> None:
    """Processed ids are pruned by an hourly scan, not an index kept up to date on every
    turn; delivery statuses no longer name the resident, so a status arriving after an
    erasure cannot bring the resident back."""
    db.execute("DROP INDEX IF EXISTS idx_processed_messages_received_at")
    db.execute("UPDATE outbound_messages SET resident = NULL")


@MIGRATIONS()
def m003_anonymous_counts(db: Database) -> None:
    """Counts kept without any resident id: an erasure leaves nothing about the resident,
    yet the metrics still need to know that one happened."""
    db.table("anonymous_counts").create(
        {"day": str, "metric": str, "language": str, "channel": str, "count": int},
        pk=("day", "metric", "language", "channel"),
    )


@MIGRATIONS()
def m004_daily_aggregates(db: Database) -> None:
    """What remains of interaction rows past the retention window: suppressed daily
    aggregates (outreach purge)."""
    db.table("daily_aggregates").create(
        {"day": str, "metric": str, "dimension": str, "value": str, "count": int},
        pk=("day", "metric", "dimension", "value"),
    )


@MIGRATIONS()
def m005_staff(db: Database) -> None:
    """Staff accounts for the dashboard, failed-login counters and the audit log."""
    db.table("staff").create(
        {"name": str, "password_hash": str, "role": str, "created_at": str}, pk="name"
    )
    db.table("login_failures").create({"key": str, "at": str})
    db.table("login_failures").create_index(["key", "at"])
    db.table("audit_log").create(
        {"id": int, "at": str, "actor": str, "action": str, "detail": str}, pk="id"
    )


@MIGRATIONS()
def m006_referred_programme(db: Database) -> None:
    """Referrals say which programme, for referrals per programme."""
    db.table("events").add_column("programme", str)


@MIGRATIONS()
def m007_events_by_kind_and_time(db: Database) -> None:
    """Every metric asks for one kind of event in a date range."""
    db.table("events").create_index(["kind", "at", "resident"])


@MIGRATIONS()
def m008_daily_activity(db: Database) -> None:
    """Closed days of the interaction log, one row per resident, day and what they did
    (see :mod:`outreach.metrics.rollup`): nothing finer than a day outlives the day, and
    the dashboard reads a tenth of the rows. The ``activity`` view adds today's events."""
    db.table("daily_activity").create(
        {"day": str, "resident": str, "kind": str, "flow": str, "node": str,
         "programme": str, "language": str, "channel": str, "department": str,
         "first_seen_on": str, "events": int, "messages": int, "segments": int},
    )  # fmt: skip
    db.table("daily_activity").create_index(["kind", "day"])
    db.table("daily_activity").create_index(["resident"])
    db.execute(
        "CREATE VIEW activity AS "
        "SELECT day, resident, kind, flow, node, programme, language, channel, department,"
        " first_seen_on, events, messages, segments FROM daily_activity "
        "UNION ALL SELECT "
        # The activity of events not yet rolled up, as it was defined by this migration.
        "substr(e.at, 1, 10) AS day, e.resident, e.kind, e.flow, e.node, e.programme,"
        " e.language, e.channel,"
        " coalesce(json_extract(r.session, '$.fields.department'), 'unknown') AS department,"
        " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
        " count(*) AS events, sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
        " coalesce(sum(e.segments), 0) AS segments "
        "FROM events e LEFT JOIN residents r ON r.id = e.resident "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
    )


@MIGRATIONS()
def m009_resident_days(db: Database) -> None:
    """One more row per resident and day, kind ``resident_day``: messages in and out and
    SMS segments, so the overview reads a row per resident-day rather than one per node."""
    db.execute(
        "INSERT INTO daily_activity (day, resident, kind, language, channel, department,"
        " first_seen_on, events, messages, segments) "
        "SELECT day, resident, 'resident_day', language, channel, department, first_seen_on,"
        " sum(CASE WHEN kind = 'msg_received' THEN events ELSE 0 END), sum(messages),"
        " sum(segments) FROM daily_activity GROUP BY 1, 2, 4, 5, 6, 7"
    )
    db.execute("DROP VIEW activity")
    db.execute(
        "CREATE VIEW activity AS "
        "SELECT day, resident, kind, flow, node, programme, language, channel, department,"
        " first_seen_on, events, messages, segments FROM daily_activity "
        # Events not yet rolled up, by node and as resident-days, as defined by this
        # migration.
        "UNION ALL SELECT "
        "substr(e.at, 1, 10) AS day, e.resident, e.kind, e.flow, e.node, e.programme,"
        " e.language, e.channel,"
        " coalesce(json_extract(r.session, '$.fields.department'), 'unknown') AS department,"
        " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
        " count(*) AS events, sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
        " coalesce(sum(e.segments), 0) AS segments "
        "FROM events e LEFT JOIN residents r ON r.id = e.resident "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 "
        "UNION ALL SELECT "
        "substr(e.at, 1, 10) AS day, e.resident, 'resident_day', NULL, NULL, NULL,"
        " e.language, e.channel,"
        " coalesce(json_extract(r.session, '$.fields.department'), 'unknown') AS department,"
        " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
        " sum(e.kind = 'msg_received') AS events,"
        " sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
        " coalesce(sum(e.segments), 0) AS segments "
        "FROM events e LEFT JOIN residents r ON r.id = e.resident "
        "GROUP BY 1, 2, 7, 8, 9, 10"
    )


@MIGRATIONS()
def m010_unindexed_log(db: Database) -> None:
    """The interaction log without indexes. It holds only the days not yet closed into
    ``daily_activity`` (normally today), which every reader scans whole anyway (the
    ``activity`` view, closing a day, an erasure), while each index cost every turn a
    write to a page of its own: a third of a message's time in the webhook."""
    for index in ("idx_events_resident", "idx_events_at", "idx_events_kind_at_resident"):
        db.execute(f"DROP INDEX IF EXISTS {index}")


@MIGRATIONS()
def m011_staff_sessions(db: Database) -> None:
    """Staff login sessions kept on the server, so that they can be ended: by logging out,
    a new password or the account's removal. Only a hash of each session's token is kept."""
    db.table("staff_sessions").create(
        {"token_hash": str, "name": str, "created_at": str, "seen_at": str}, pk="token_hash"
    )
    db.table("staff_sessions").create_index(["name"])


@MIGRATIONS()
def m012_login_throttle(db: Database) -> None:
    """Failed logins as one counter per name and address (and per address), with growing
    delays instead of a lockout; attempts the throttle refuses as one count per window
    and key, so that nobody can fill the database by hammering the login page. The old
    login_failures rows are no longer read (they only ever mattered for 15 minutes)."""
    db.table("login_throttle").create(
        {"name": str, "address": str, "failures": int, "last_failure_at": str},
        pk=("name", "address"),
    )
    db.table("login_refusals").create(
        {"window_start": str, "name": str, "address": str, "count": int},
        pk=("window_start", "name", "address"),
    )


@MIGRATIONS()
def m014_resident_department(db: Database) -> None:
    """The department a resident gave, in a column of its own: the service names the
    session field that holds it (engine.model.DEPARTMENT_FIELD) and writes its value, so
    no living SQL reads a field out of the session's JSON. Existing rows take the value
    of the field as it was named until now; the ``activity`` view reads the column."""
    db.table("residents").add_column("department", str)
    db.execute("UPDATE residents SET department = json_extract(session, '$.fields.department')")
    db.execute("DROP VIEW activity")
    db.execute(
        "CREATE VIEW activity AS "
        "SELECT day, resident, kind, flow, node, programme, language, channel, department,"
        " first_seen_on, events, messages, segments FROM daily_activity "
        # Events not yet rolled up, by node and as resident-days, as defined by this
        # migration.
        "UNION ALL SELECT "
        "substr(e.at, 1, 10) AS day, e.resident, e.kind, e.flow, e.node, e.programme,"
        " e.language, e.channel,"
        " coalesce(r.department, 'unknown') AS department,"
        " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
        " count(*) AS events, sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
        " coalesce(sum(e.segments), 0) AS segments "
        "FROM events e LEFT JOIN residents r ON r.id = e.resident "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 "
        "UNION ALL SELECT "
        "substr(e.at, 1, 10) AS day, e.resident, 'resident_day', NULL, NULL, NULL,"
        " e.language, e.channel,"
        " coalesce(r.department, 'unknown') AS department,"
        " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
        " sum(e.kind = 'msg_received') AS events,"
        " sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
        " coalesce(sum(e.segments), 0) AS segments "
        "FROM events e LEFT JOIN residents r ON r.id = e.resident "
        "GROUP BY 1, 2, 7, 8, 9, 10"
    )


@MIGRATIONS()
def m015_calls(db: Database) -> None:
    """One row per voice call, for the metrics: a keyed id of Twilio's CallSid (never the
    caller's number, nothing that leads back to the resident), the day, the language and
    the last flow the call reached, its length in seconds and its last status (completed,
    busy, no-answer, failed, canceled) from the status callback."""
    db.table("calls").create(
        {"id": str, "day": str, "language": str, "flow": str, "seconds": int,
         "completed": int, "status": str, "updated_at": str},
        pk="id", not_null={"day", "completed"}, defaults={"completed": 0},
    )  # fmt: skip
    db.table("calls").create_index(["day"])


@MIGRATIONS()
def m016_callbacks(db: Database) -> None:
    """The missed-call callback (issue #17): the queue, which holds a caller's number
    only until the call back is placed; today's call backs per caller under a keyed
    pseudonym of its own; counts per hour (queued, placed, failed, uncertain) and
    refusals per day and reason, without any id."""
    db.table("callback_queue").create(
        {"id": int, "number": str, "queued_at": str, "claimed_at": str},
        pk="id", not_null={"number", "queued_at"},
    )  # fmt: skip
    db.table("callback_callers").create(
        {"day": str, "caller": str, "count": int}, pk=("day", "caller")
    )
    db.table("callback_hours").create(
        {"hour": str, "outcome": str, "count": int}, pk=("hour", "outcome")
    )
    db.table("callback_refusals").create(
        {"day": str, "reason": str, "count": int}, pk=("day", "reason")
    )


@MIGRATIONS()
def m019_outbox(db: Database) -> None:
    """The outbox (issue #18): one row per message the service sends on its own through
    Twilio's REST API (an alert to a subscriber, or a reply), until it is sent and its
    final status known. A row names its recipient by keyed id only, and its text by
    reference (the alert's id and the language, or a catalog context), never the text or
    an address in clear: an alert's address is the subscription's (sealed), a reply's
    is sealed the same way in the row. ``key`` makes enqueueing the same message twice
    a no-op; ``priority`` 0 (replies) goes ahead of 1 (alerts)."""
    db.table("outbox").create(
        {"id": int, "key": str, "kind": str, "priority": int, "resident": str,
         "channel": str, "language": str, "alert": int, "topic": str, "text_key": str,
         "address": bytes, "nonce": bytes, "state": str, "attempts": int,
         "next_attempt_at": str, "claimed_at": str, "message_id": str, "status": str,
         "error_code": int, "reason": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"key", "kind", "priority", "resident", "channel", "state"},
    )  # fmt: skip
    db.table("outbox").create_index(["key"], unique=True)
    db.table("outbox").create_index(["state", "priority", "next_attempt_at"])
    db.table("outbox").create_index(["message_id"])
    db.table("outbox").create_index(["resident", "kind", "claimed_at"])


@MIGRATIONS()
def m017_alert_subscriptions(db: Database) -> None:
    """Alert subscriptions (issue #18): who asked for alerts of a topic in a department,
    in which language and over which channel, with the only address the service ever
    keeps, and only for them: sealed with AES-GCM under a key outside the database (the
    nonce beside it). One row per resident and topic; the created day is no finer."""
    db.table("subscriptions").create(
        {"resident": str, "topic": str, "department": str, "language": str, "channel": str,
         "address": bytes, "nonce": bytes, "created_on": str},
        pk=("resident", "topic"),
    )  # fmt: skip
    db.table("subscriptions").create_index(["topic", "department"])


@MIGRATIONS()
def m018_alerts(db: Database) -> None:
    """Alerts as reviewed content (issue #18): a text per language (JSON), a source and
    review dates as flow content has, a topic and departments (JSON; NULL: all), a send
    time, the WhatsApp template's content_sid if any, and a state (draft, approved,
    sending, sent, canceled) with who created and who (a second admin) approved it."""
    db.table("alerts").create(
        {"id": int, "topic": str, "departments": str, "texts": str, "source": str,
         "verified_on": str, "review_by": str, "send_at": str, "content_sid": str,
         "state": str, "created_by": str, "created_at": str, "approved_by": str,
         "approved_at": str},
        pk="id", not_null={"topic", "texts", "source", "verified_on", "review_by", "send_at",
                           "state", "created_by", "created_at"},
    )  # fmt: skip
    db.table("alerts").create_index(["state", "send_at"])


@MIGRATIONS()
def m020_twilio_forget(db: Database) -> None:
    """Twilio forgets too (issue #18 section 4, OUTREACH_TWILIO_FORGET=delete): one row per
    message or call record to delete at Twilio, holding Twilio's raw sid (the only place
    one is kept) only until the deletion succeeds; then the row is deleted, and
    ``secure_delete`` and a WAL truncation take the bytes out of the files. No resident,
    number or text: a sid alone names a record at Twilio, not a person here."""
    db.table("twilio_forget").create(
        {"sid": str, "kind": str, "due_at": str, "attempts": int, "created_at": str},
        pk="sid", not_null={"kind", "due_at", "attempts", "created_at"},
        defaults={"attempts": 0},
    )  # fmt: skip
    db.table("twilio_forget").create_index(["due_at"])


@MIGRATIONS()
def m023_call_residents(db: Database) -> None:
    """Who made each call, by the keyed pseudonym the interaction log already carries,
    so that a voice figure is hidden and perturbed by the residents behind it, as every
    message figure is (docs/metrics.md): ten calls of one caller are one caller, not
    ten. A resident's BORRAR deletes their calls; ``outreach purge`` deletes calls older
    than the retention window. Calls of before this migration keep no resident: each
    counts as a caller of its own."""
    db.table("calls").add_column("resident", str)
    db.table("calls").create_index(["resident"])


@MIGRATIONS()
def m022_reminders(db: Database) -> None:
    """Reminders a resident asked for in a flow (issue #18 section 2, follow-ups): the
    flow and node whose reminder it is (its text is content, by reference), when it is
    due, the language and channel, and the address sealed as a subscriber's is, kept
    only until the reminder moves into the outbox (or ALERTAS NO, STOP or DELETE end
    it). One row per resident and reminder: asking again changes nothing."""
    db.table("reminders").create(
        {"id": int, "resident": str, "flow": str, "node": str, "send_at": str,
         "language": str, "channel": str, "address": bytes, "nonce": bytes,
         "created_on": str},
        pk="id", not_null={"resident", "flow", "node", "send_at", "channel", "address",
                           "nonce"},
    )  # fmt: skip
    db.table("reminders").create_index(["resident", "flow", "node"], unique=True)
    db.table("reminders").create_index(["send_at"])


@MIGRATIONS()
def m021_outbox_by_alert(db: Database) -> None:
    """The outbox's rows by alert and state: whether an alert going out is done (asked
    at every pass of the sender while it goes out), its counts for `outreach alerts
    list`, and canceling its queued rows, without a scan of every row of every alert."""
    db.table("outbox").create_index(["alert", "state"])


@MIGRATIONS()
def m024_alert_tallies(db: Database) -> None:
    """Figures per alert that outlive the outbox's rows (issue #18 section 5): sent,
    delivered, failed, read and opted out after it, kept as additive tallies per alert,
    outcome, language, channel and department: a count and the sum of the residents'
    record keys (mod 2**32), so that a figure's cell key is still that of the residents
    behind it when their rows are long pruned. No resident, number or MessageSid.

    On the outbox: the department an alert row went to (taken from the subscription when
    the row is queued, by a trigger: the fan-out needs no change), the outcome the row is
    tallied under, and when its resident opted out (BAJA, ALERTAS NO) after it.

    A row deleted (pruned, 8 days after its end) before its tally caught up leaves what
    is left to count in ``alert_tally_pending`` (the resident's keyed id only until the
    next tally; an erasure deletes it with the rest). The outcome of a row is written
    out here as it is in outreach.storage.alert_tallies.OUTCOME, and must stay the same."""
    db.table("outbox").add_column("department", str)
    db.table("outbox").add_column("tallied", str)
    db.table("outbox").add_column("opted_out_at", str)
    db.table("outbox").add_column("opt_out_tallied", int)
    db.table("alert_tallies").create(
        {"alert": int, "outcome": str, "language": str, "channel": str, "department": str,
         "count": int, "key_sum": int},
        pk=("alert", "outcome", "language", "channel", "department"),
    )  # fmt: skip
    db.table("alert_tally_pending").create(
        {"id": int, "alert": int, "old": str, "new": str, "language": str, "channel": str,
         "department": str, "resident": str},
        pk="id", not_null={"alert", "resident"},
    )  # fmt: skip
    db.table("alert_tally_pending").create_index(["resident"])
    outcome = (
        "CASE WHEN {r}.state = 'failed' THEN 'refused' WHEN {r}.state = 'sent' THEN CASE"
        " WHEN {r}.status IN ('failed', 'undelivered') THEN 'undelivered'"
        " WHEN {r}.status = 'delivered' THEN 'delivered' WHEN {r}.status = 'read' THEN 'read'"
        " ELSE 'accepted' END END"
    )
    db.execute(
        "CREATE TRIGGER outbox_alert_department AFTER INSERT ON outbox"
        " WHEN NEW.kind = 'alert' BEGIN UPDATE outbox SET department = (SELECT department"
        " FROM subscriptions WHERE resident = NEW.resident AND topic = NEW.topic)"
        " WHERE id = NEW.id; END"
    )
    db.execute(
        "CREATE TRIGGER outbox_alert_tally_pending BEFORE DELETE ON outbox"
        " WHEN OLD.kind = 'alert' AND OLD.alert IS NOT NULL BEGIN"
        " INSERT INTO alert_tally_pending (alert, old, new, language, channel, department,"
        " resident) SELECT OLD.alert, OLD.tallied, " + outcome.format(r="OLD") + ","
        " OLD.language, OLD.channel, OLD.department, OLD.resident"
        " WHERE OLD.tallied IS NOT (" + outcome.format(r="OLD") + ");"
        " INSERT INTO alert_tally_pending (alert, old, new, language, channel, department,"
        " resident) SELECT OLD.alert, NULL, 'opted_out', OLD.language, OLD.channel,"
        " OLD.department, OLD.resident"
        " WHERE OLD.opted_out_at IS NOT NULL AND OLD.opt_out_tallied IS NULL; END"
    )
