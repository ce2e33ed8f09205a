"""Who hears what: the pure rules that turn one event into notifications.

Privacy rules, applied here and nowhere else:

- an employee is told only about their own score and recommendations;
- a supervisor is told about direct reports only, and only a summary (predicate, kind, status);
- HR is told region-level facts (cycles opened and closed) and, since it must act on them, which
  scores a closed cycle holds for missing input (``ScoreHeld``: whose, and what is missing);
- nothing from a score's ``explanation`` (inputs, raters, adjustments) reaches any channel, not
  even webhooks: :func:`public_payload` strips it before anything else sees the event;
- free text written about other people (calibration reasons, who decided) is never passed on.

Provisional scores (``ScoreComputed``) reach webhooks only: they are recomputed after every
input, so a message to the ratee each time would be noise and, worse, would let them match the
moment of a message to the moment a particular peer rated them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from services.notify.domain.model import (
    ContextValue,
    Directory,
    Language,
    Notification,
    Person,
    Role,
    notification_id,
)
from shared.events.base import Event, Model
from shared.events.career import RecommendationDecided, RecommendationIssued
from shared.events.feedback import CycleClosed, CycleOpened
from shared.events.scoring import CalibrationApplied, ScoreComputed, ScoreFinalized, ScoreHeld

#: Event types notify consumes; outside systems may subscribe to exactly these.
HANDLED_TYPES: frozenset[str] = frozenset(
    cls.model_fields["type"].default
    for cls in (
        CycleOpened,
        CycleClosed,
        ScoreComputed,
        ScoreFinalized,
        ScoreHeld,
        CalibrationApplied,
        RecommendationIssued,
        RecommendationDecided,
    )
)

#: Keys dropped at any depth before an event leaves the service.
REDACTED_KEYS: frozenset[str] = frozenset({"explanation"})


class Audience(Model):
    """What the store must load into a :class:`Directory` before planning one event."""

    nips: frozenset[str] = Field(default=frozenset(), description="Employees the event is about.")
    supervisors: bool = Field(False, description="Also load the supervisors of those employees.")
    whole_region: bool = Field(False, description="Load every active employee of the region.")
    hr: bool = Field(False, description="Load the region's HR desk.")


class _Message(Model):
    """One person-facing message before it is fanned out over channels."""

    role: Role
    template: str
    context: Mapping[str, ContextValue]
    person: Person | None = None  # None means the HR desk


def audience(event: Event) -> Audience:
    """Tell the store what to load for ``event``; subscriptions of the region are always needed."""
    if isinstance(event, CycleOpened | CycleClosed):
        return Audience(whole_region=True, hr=True)
    nip = _subject_nip(event)
    if nip is None or isinstance(event, ScoreComputed):
        return Audience()
    return Audience(nips=frozenset({nip}), supervisors=True, hr=isinstance(event, ScoreHeld))


def plan_notifications(event: Event, directory: Directory) -> list[Notification]:
    """Decide every notification ``event`` causes: recipients, channels, templates and context.

    Pure and deterministic: planning the same event twice gives the same notifications with the
    same ids, so a redelivered event is deduplicated by notification id.

    :param event: any event; types notify does not handle give an empty list.
    :param directory: the people, HR desk and subscriptions :func:`audience` asked for.
    """
    if event.type not in HANDLED_TYPES:
        return []
    messages = _messages(event, directory)
    out = [n for m in messages for n in _fan_out(event, directory, m)]
    out.extend(_webhooks(event, directory))
    return out


def public_payload(event: Event) -> dict[str, Any]:
    """The event as JSON data with every redacted key removed, at any depth."""
    payload: dict[str, Any] = _redact(event.model_dump(mode="json"))
    return payload


# ------------------------------------------------------------------ rules per event type


def _messages(event: Event, d: Directory) -> list[_Message]:
    if isinstance(event, CycleOpened):
        ctx: dict[str, ContextValue] = {
            "cycle_id": event.cycle_id,
            "kind": event.kind.value,
            "period_start": event.period_start.isoformat(),
            "period_end": event.period_end.isoformat(),
            "window_opens": event.window_opens.isoformat(),
            "window_closes": event.window_closes.isoformat(),
            "reopened": event.reopened,
            "reason": event.reason,
            "tz": d.timezone,
        }
        return _region_wide(d, "cycle_opened", ctx)
    if isinstance(event, CycleClosed):
        # Without unit predicates no curve is checked: HR is told, since it may not know.
        ctx = {"cycle_id": event.cycle_id, "no_unit_predicates": not event.unit_predicates}
        return _region_wide(d, "cycle_closed", ctx)
    if isinstance(event, ScoreFinalized):
        s = event.score
        own: dict[str, ContextValue] = {
            "cycle_id": s.cycle_id,
            "predicate": s.predicate.value,
            "results_rating": s.results_rating.value,
            "behaviour_rating": s.behaviour_rating.value,
        }
        summary: dict[str, ContextValue] = {"cycle_id": s.cycle_id, "predicate": s.predicate.value}
        return _personal(d, s.nip, "score_finalized", own, summary)
    if isinstance(event, ScoreHeld):
        return _held(event, d)
    if isinstance(event, CalibrationApplied):
        own = {
            "cycle_id": event.cycle_id,
            "predicate": event.predicate.value,
            "previous_predicate": event.previous_predicate.value,
            "decision": event.decision,
        }
        summary = {"cycle_id": event.cycle_id, "predicate": event.predicate.value, "decision": event.decision}
        return _personal(d, event.nip, "calibration_applied", own, summary)
    if isinstance(event, RecommendationIssued):
        r = event.recommendation
        # Provisional recommendations come and go with provisional scores: only final ones are news.
        if r.nip is None or not r.final:
            return []
        own = {"cycle_id": r.cycle_id, "kind": r.kind.value, "title": r.title}
        summary = {"cycle_id": r.cycle_id, "kind": r.kind.value}
        return _personal(d, r.nip, "recommendation_issued", own, summary)
    if isinstance(event, RecommendationDecided):
        if event.nip is None:
            return []
        own = {"recommendation_id": event.recommendation_id, "status": event.status, "reason": event.reason}
        summary = {"recommendation_id": event.recommendation_id, "status": event.status}
        return _personal(d, event.nip, "recommendation_decided", own, summary)
    return []  # ScoreComputed: webhooks only (see module docstring)


def _held(event: ScoreHeld, d: Directory) -> list[_Message]:
    """The employee, their supervisor and HR: the score waits for an input, not a verdict."""
    s = event.score
    missing = ",".join(m.value for m in event.missing)
    ctx: dict[str, ContextValue] = {"cycle_id": s.cycle_id, "missing": missing}
    msgs = _personal(d, s.nip, "score_held", ctx, ctx)
    employee = d.employees.get(s.nip)
    if employee is not None and _reachable(employee, d):
        hr_ctx = {**ctx, "region": d.region, "report_name": employee.name, "report_nip": s.nip}
        msgs.append(_Message(role=Role.HR, template="score_held.hr", context=hr_ctx))
    return msgs


def _region_wide(d: Directory, name: str, ctx: Mapping[str, ContextValue]) -> list[_Message]:
    people = sorted((p for p in d.employees.values() if _reachable(p, d)), key=lambda p: p.nip)
    msgs = [
        _Message(role=Role.EMPLOYEE, template=f"{name}.employee", context={**ctx, "name": p.name}, person=p)
        for p in people
    ]
    msgs.append(_Message(role=Role.HR, template=f"{name}.hr", context={**ctx, "region": d.region}))
    return msgs


def _personal(
    d: Directory,
    nip: str,
    name: str,
    own: Mapping[str, ContextValue],
    summary: Mapping[str, ContextValue],
) -> list[_Message]:
    employee = d.employees.get(nip)
    if employee is None or not _reachable(employee, d):
        return []
    msgs = [
        _Message(
            role=Role.EMPLOYEE,
            template=f"{name}.employee",
            context={**own, "name": employee.name},
            person=employee,
        )
    ]
    boss = d.employees.get(employee.supervisor_nip or "")
    if boss is not None and boss.nip != employee.nip and _reachable(boss, d):
        ctx = {**summary, "name": boss.name, "report_name": employee.name, "report_nip": employee.nip}
        msgs.append(_Message(role=Role.SUPERVISOR, template=f"{name}.supervisor", context=ctx, person=boss))
    return msgs


def _reachable(p: Person, d: Directory) -> bool:
    # A record from another region is never told about this region's facts, even if loaded by mistake.
    return p.active and p.region == d.region


# ------------------------------------------------------------------ channels


def _fan_out(event: Event, d: Directory, m: _Message) -> list[Notification]:
    if m.person is not None:
        inbox_to, email, lang = m.person.nip, m.person.email, m.person.language
    else:
        inbox_to = f"hr:{d.region}"
        email = d.hr.email if d.hr is not None else None
        lang = d.hr.language if d.hr is not None else "id"
    out = [_note(event, "inbox", m, inbox_to, None, lang)]
    if email:
        out.append(_note(event, "email", m, email, email, lang))
    return out


def _note(
    event: Event,
    channel: Literal["inbox", "email"],
    m: _Message,
    recipient: str,
    address: str | None,
    lang: Language,
) -> Notification:
    return Notification(
        notification_id=notification_id(event.event_id, channel, recipient),
        source_event_id=str(event.event_id),
        event_type=event.type,
        region=event.region,
        occurred_at=event.occurred_at,
        channel=channel,
        role=m.role,
        recipient=recipient,
        address=address,
        language=lang,
        template=m.template,
        context=dict(m.context),
    )


def _webhooks(event: Event, d: Directory) -> list[Notification]:
    subs = sorted(
        (s for s in d.subscriptions if s.matches(event.type, event.region)), key=lambda s: s.subscription_id
    )
    if not subs:
        return []
    payload = public_payload(event)
    return [
        Notification(
            notification_id=notification_id(event.event_id, "webhook", s.subscription_id),
            source_event_id=str(event.event_id),
            event_type=event.type,
            region=event.region,
            occurred_at=event.occurred_at,
            channel="webhook",
            role=Role.SYSTEM,
            recipient=s.subscription_id,
            address=s.url,
            payload=payload,
        )
        for s in subs
    ]


def _subject_nip(event: Event) -> str | None:
    if isinstance(event, ScoreComputed | ScoreFinalized | ScoreHeld):
        return event.score.nip
    if isinstance(event, CalibrationApplied):
        return event.nip
    if isinstance(event, RecommendationIssued):
        return event.recommendation.nip
    if isinstance(event, RecommendationDecided):
        return event.nip
    return None


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items() if k not in REDACTED_KEYS}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value
