"""Today's definition of a day's activity: the events not yet rolled up, in the shape of
``daily_activity``, as the rollup (:mod:`outreach.metrics.rollup`) closes days with it.

The ``activity`` view of the migrations holds its own copy, as it was when they ran.
"""

from __future__ import annotations

#: Today's events (or any not yet rolled up), in the shape of ``daily_activity``. A node's
#: message is logged on its node_visited row with its SMS segments (0 on WhatsApp), so a
#: row with segments is a message sent. The department is the one the resident gave, if any
#: (the service names the field: see ``residents.department``).
ACTIVITY_OF_EVENTS = (
    "substr(e.at, 1, 10) AS day, e.resident, e.kind, e.flow, e.node, e.programme,"
    " e.language, e.channel,"
    " coalesce(r.department, 'unknown') AS department,"
    " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
    " count(*) AS events, sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
    " coalesce(sum(e.segments), 0) AS segments "
    "FROM events e LEFT JOIN residents r ON r.id = e.resident "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
)


#: Today's events as one ``resident_day`` row per resident (and language and channel):
#: messages received (``events``), messages sent and SMS segments.
RESIDENT_DAYS_OF_EVENTS = (
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
