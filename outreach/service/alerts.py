"""Alerts as reviewed content: read from a YAML file staff write (errors said
file:line:col, as for flow files), kept as drafts, approved by a second admin, and
previewed before approval (segments, cost, template, time at the senders' rates).

The audience size is a published figure: the caller gives it already protected
(:mod:`outreach.metrics.alerts`), never an exact small count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from sqlite_utils import Database

from outreach import staff
from outreach.engine.model import FlowSet
from outreach.flowfile.problems import Place, Problem, error
from outreach.sms import segment_info
from outreach.sms.shaping import shape
from outreach.storage import immediate
from outreach.storage.alerts import AlertRow as AlertRow  # named so by web (not storage)
from outreach.storage.alerts import alert, insert_alert, set_approved
from outreach.storage.alerts import alerts as all_alerts

#: The keys of an alert file, with whether each is required.
KEYS = {
    "topic": True, "departments": True, "texts": True, "source": True, "verified_on": True,
    "review_by": True, "send_at": True, "whatsapp_template": False,
}  # fmt: skip
#: The list residents' departments are answers of (flows/departments.yaml).
DEPARTMENTS_LIST = "departments"


class AlertError(ValueError):
    """An alert cannot be created or approved; the message says why."""


class AlertFileError(AlertError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} error(s) in the alert file")
        self.problems = problems


@dataclass(frozen=True)
class AlertDraft:
    topic: str
    departments: tuple[str, ...] | None
    texts: dict[str, str]
    source: str
    verified_on: date
    review_by: date
    send_at: datetime
    content_sid: str | None


def N_(template: str) -> str:
    """Marks a problem's wording for the dashboard's catalog (``make ui-messages``): the
    form says it in the staff member's language, the command line in English."""
    return template


@dataclass(frozen=True)
class Issue:
    """A problem with one field of an alert, however it was written (a file or the
    dashboard's form): ``field`` is the key (``texts.es`` for one language's text),
    ``node`` where it was written, ``template % params`` what is wrong."""

    field: str
    node: yaml.Node | None
    template: str
    params: Mapping[str, str]

    @property
    def message(self) -> str:
        return self.template % dict(self.params) if self.params else self.template


class AlertFormError(AlertError):
    """The dashboard's form has problems, each with its field."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} error(s) in the form")
        self.issues = issues


def read_alert_file(path: Path, flows: FlowSet, now: datetime) -> AlertDraft:
    """The alert in ``path``, checked against the deployment (topics, departments,
    languages) and the clock (review dates, send time); :class:`AlertFileError` lists
    every problem with its place."""
    name = str(path)

    def place(node: yaml.Node | None) -> Place:
        if node is None:
            return Place(name, 1, 1)
        return Place(name, node.start_mark.line + 1, node.start_mark.column + 1)

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Place(name, mark.line + 1, mark.column + 1) if mark else Place(name, 1, 1)
        raise AlertFileError([error(where, f"not valid YAML: {exc}")]) from None
    if not isinstance(root, yaml.MappingNode):
        raise AlertFileError([error(Place(name, 1, 1), "an alert file is a mapping of keys")])
    issues: list[Issue] = []
    fields: dict[str, yaml.Node] = {}
    for key, value in root.value:
        if key.value not in KEYS:
            issues.append(Issue(str(key.value), key, N_("unknown key '%(key)s' (known: %(known)s)"),
                                {"key": str(key.value), "known": ", ".join(KEYS)}))  # fmt: skip
        elif key.value in fields:
            issues.append(Issue(key.value, key, N_("'%(key)s' is given twice"), {"key": key.value}))
        else:
            fields[key.value] = value
    draft = check_alert(fields, flows, now, issues)
    if issues or draft is None:
        problems = [error(place(i.node), i.message) for i in issues]
        raise AlertFileError(problems or [error(Place(name, 1, 1), "incomplete alert")])
    return draft


def read_alert_form(form: Mapping[str, str | list[str]], flows: FlowSet,
                    now: datetime) -> AlertDraft:  # fmt: skip
    """The alert of the dashboard's form, checked by the very rules of an alert file
    (:func:`check_alert`): ``form`` holds each key of the file, ``departments`` as a list
    (or "all") and each language's text as ``texts.<code>``. :class:`AlertFormError`
    gives each problem with its field."""

    def scalar(value: str) -> yaml.ScalarNode:
        return yaml.ScalarNode("tag:yaml.org,2002:str", value)

    fields: dict[str, yaml.Node] = {}
    for key in KEYS:
        value = form.get(key)
        if key == "departments" and isinstance(value, list):
            if value == ["all"]:
                fields[key] = scalar("all")
            elif value:
                fields[key] = yaml.SequenceNode("tag:yaml.org,2002:seq",
                                                [scalar(v) for v in value])  # fmt: skip
        elif key == "texts":
            texts = [
                (scalar(k.removeprefix("texts.")), scalar(str(v)))
                for k, v in form.items()
                if k.startswith("texts.") and str(v).strip()
            ]
            fields[key] = yaml.MappingNode("tag:yaml.org,2002:map", texts)
        elif isinstance(value, str) and value.strip():
            fields[key] = scalar(value)
    issues: list[Issue] = []
    draft = check_alert(fields, flows, now, issues)
    if issues or draft is None:
        raise AlertFormError(issues or [Issue("topic", None, N_("incomplete alert"), {})])
    return draft


def check_alert(fields: Mapping[str, yaml.Node], flows: FlowSet, now: datetime,
                issues: list[Issue]) -> AlertDraft | None:  # fmt: skip
    """The one set of rules for an alert, whether it was written in a file or in the
    dashboard's form: each key of ``fields`` as YAML nodes. Appends every problem to
    ``issues``; the draft, or None if there were any."""
    count = len(issues)

    def problem(field: str, node: yaml.Node | None, template: str, **params: str) -> None:
        issues.append(Issue(field, node, template, params))

    for key, required in KEYS.items():
        if required and key not in fields:
            problem(key, None, N_("'%(key)s' is missing"), key=key)

    def scalar(key: str) -> tuple[str, yaml.Node] | None:
        node = fields.get(key)
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            problem(key, node, N_("'%(key)s' must be a single value"), key=key)
            return None
        return str(node.value).strip(), node

    deployment = flows.deployment
    topics = sorted(set(deployment.alerts.topics.values())) if deployment.alerts else []
    topic = scalar("topic")
    if topic and topic[0] not in topics:
        problem("topic", topic[1], N_("unknown topic '%(topic)s' (the deployment's alerts: "
                                      "topics are %(topics)s)"),
                topic=topic[0], topics=", ".join(topics) or "none")  # fmt: skip
    departments: tuple[str, ...] | None = None
    known = flows.lists.get(DEPARTMENTS_LIST)
    known_values = [item.value for item in known.items] if known else []
    node = fields.get("departments")
    if isinstance(node, yaml.ScalarNode) and node.value == "all":
        departments = None
    elif isinstance(node, yaml.SequenceNode) and node.value:
        found = []
        for item in node.value:
            written = str(getattr(item, "value", ""))
            if written not in known_values:
                wrong = N_("unknown department '%(department)s' (as in flows/departments.yaml)")
                problem("departments", item, wrong, department=written)
            found.append(written)
        departments = tuple(found)
    elif node is not None:
        problem("departments", node, N_("departments: a list of departments, or all"))
    texts: dict[str, str] = {}
    offered = [lang.code for lang in deployment.languages]
    node = fields.get("texts")
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value not in offered:
                problem(f"texts.{key.value}", key, N_("unknown language '%(language)s' (the "
                                                      "deployment's: %(codes)s)"),
                        language=str(key.value), codes=", ".join(offered))  # fmt: skip
            elif not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
                problem(f"texts.{key.value}", value, N_("the %(language)s text is empty"),
                        language=str(key.value))  # fmt: skip
            else:
                texts[key.value] = " ".join(str(value.value).split())
        source_language = deployment.default_language
        if source_language not in texts:
            problem(f"texts.{source_language}", node, N_("the %(language)s text (the "
                                                         "reviewed source) is missing"),
                    language=source_language)  # fmt: skip
    elif node is not None:
        problem("texts", node, N_("texts: a text per language code (es: ..., en: ...)"))
    source = scalar("source")
    today = now.date()
    dates: dict[str, date] = {}
    for key in ("verified_on", "review_by"):
        value = scalar(key)
        if value is None:
            continue
        try:
            dates[key] = date.fromisoformat(value[0])
        except ValueError:
            problem(key, value[1], N_("%(key)s must be a date, YYYY-MM-DD"), key=key)
            continue
        if key == "verified_on" and dates[key] > today:
            problem(key, value[1], N_("verified_on is in the future"))
        if key == "review_by" and dates[key] <= today:
            problem(key, value[1], N_("review_by has passed: check the facts again and give a "
                                      "new date"))  # fmt: skip
    send_at: datetime | None = None
    value = scalar("send_at")
    if value is not None:
        try:
            send_at = datetime.fromisoformat(value[0])
        except ValueError:
            send_at = None
        if send_at is None or send_at.tzinfo is None:
            problem("send_at", value[1], N_("send_at must be a time with its zone, e.g. "
                                            "2026-12-10T09:00:00-06:00"))  # fmt: skip
            send_at = None
        elif send_at <= now:
            problem("send_at", value[1], N_("send_at has passed"))
    template = scalar("whatsapp_template")
    if template and not template[0].startswith("HX"):
        problem("whatsapp_template", template[1], N_("whatsapp_template is a Content API "
                                                     "content_sid (HX...)"))  # fmt: skip
    if len(issues) > count or not (topic and source and send_at) or len(dates) < 2:
        return None
    return AlertDraft(topic[0], departments, texts, source[0], dates["verified_on"],
                      dates["review_by"], send_at.astimezone(UTC),
                      template[0] if template else None)  # fmt: skip


def check_admin(db: Database, name: str) -> None:
    """:class:`AlertError` unless ``name`` is an admin account."""
    account = staff.role_of(db, name)
    if account is None or not account.is_admin:
        raise AlertError(f"'{name}' is not an admin account (outreach users list)")


def create_alert(db: Database, draft: AlertDraft, by: str, now: datetime) -> int:
    """Keep ``draft`` as a new draft alert created by the admin ``by``; its id."""
    check_admin(db, by)
    with immediate(db):
        alert_id = insert_alert(
            db, topic=draft.topic, departments=draft.departments, texts=draft.texts,
            source=draft.source, verified_on=draft.verified_on.isoformat(),
            review_by=draft.review_by.isoformat(), send_at=draft.send_at.isoformat(),
            content_sid=draft.content_sid, created_by=by, now=now,
        )  # fmt: skip
        staff.audit(db, now, by, "alert_create", f"alert {alert_id}")
    return alert_id


def approve_alert(db: Database, alert_id: int, by: str, now: datetime) -> AlertRow:
    """A second admin approves a draft: never its creator (four eyes on what goes to
    every subscriber)."""
    check_admin(db, by)
    found = alert(db, alert_id)
    if found is None:
        raise AlertError(f"no alert {alert_id}")
    if found.created_by == by:
        raise AlertError(f"alert {alert_id} was created by {by}: another admin must approve it")
    if found.state != "draft":
        raise AlertError(f"alert {alert_id} is {found.state}, not a draft")
    if date.fromisoformat(found.review_by) <= now.date():
        raise AlertError(f"alert {alert_id}'s review date has passed: create it again")
    with immediate(db):
        if not set_approved(db, alert_id, by, now):
            raise AlertError(f"alert {alert_id} is no longer a draft")
        staff.audit(db, now, by, "alert_approve", f"alert {alert_id}")
    approved = alert(db, alert_id)
    assert approved is not None
    return approved


@dataclass(frozen=True)
class LanguagePreview:
    language: str
    #: SMS segments of the text as sent (shaped as the deployment shapes SMS).
    segments: int
    encoding: str
    #: Published (protected) recipients in this language by channel; None: suppressed.
    sms: int | None
    whatsapp: int | None


@dataclass(frozen=True)
class Preview:
    #: Published (protected) audience; None: fewer than k subscribers, not shown.
    audience: int | None
    k: int
    languages: list[LanguagePreview]
    #: Estimated SMS cost from the published counts; None without a price or a count.
    cost: float | None
    currency: str
    whatsapp_template: bool
    #: Seconds to send at the senders' rates (both senders at once: the longer).
    seconds: float | None


def preview(
    found: AlertRow,
    flows: FlowSet,
    audience: int | None,
    by_language: Mapping[tuple[str, str], int | None],
    config: Mapping[str, object],
    k: int,
) -> Preview:
    """What approving ``found`` means. ``audience`` and ``by_language`` ((language,
    channel) -> count) are published figures (protected by the caller); a resident whose
    language has no text gets the source language's."""
    sms_settings = flows.deployment.sms
    source = flows.deployment.default_language
    languages: list[LanguagePreview] = []
    segments_sms = 0
    messages_whatsapp = 0
    known = True
    for language in sorted({lang for lang, _channel in by_language} | set(found.texts)):
        text = found.texts.get(language, found.texts[source])
        info = segment_info(shape(text, language, "sms", sms_settings))
        sms = by_language.get((language, "sms"))
        whatsapp = by_language.get((language, "whatsapp"))
        languages.append(LanguagePreview(language, info.segments, info.encoding, sms, whatsapp))
        if (language, "sms") in by_language and sms is None:
            known = False
        if (language, "whatsapp") in by_language and whatsapp is None:
            known = False
        segments_sms += (sms or 0) * info.segments
        messages_whatsapp += whatsapp or 0
    price_text = str(config.get("SMS_SEGMENT_PRICE") or "")
    cost = float(price_text) * segments_sms if price_text and known else None
    sms_rate = float(str(config.get("SMS_RATE", 1)))
    whatsapp_rate = float(str(config.get("WHATSAPP_RATE", 80)))
    seconds = max(segments_sms / sms_rate, messages_whatsapp / whatsapp_rate) if known else None
    return Preview(audience, k, languages, cost, str(config.get("SMS_PRICE_CURRENCY", "USD")),
                   found.content_sid is not None, seconds)  # fmt: skip


def duration(seconds: float) -> str:
    """Seconds as people read a duration: 45 s, 12 min, 3 h 20 min."""
    if seconds < 60:
        return f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


#: The old name, for callers written before it was public.
_admin = check_admin


def find_alert(db: Database, alert_id: int) -> AlertRow | None:
    return alert(db, alert_id)


def newest_first(db: Database) -> list[AlertRow]:
    """Every alert, the newest first (the dashboard's list)."""
    return all_alerts(db)[::-1]
