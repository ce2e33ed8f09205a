"""Pure rules of notify: who hears what, what they may see, rendering in both languages, replay."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from services.notify.domain import (
    HANDLED_TYPES,
    Audience,
    DeliveryRecord,
    DeliveryResult,
    DeliveryStatus,
    Directory,
    HrDesk,
    Language,
    Notification,
    Person,
    ReplayQuery,
    Role,
    Subscription,
    TemplateMissing,
    audience,
    delivery_event,
    label,
    notification_id,
    plan_notifications,
    render,
    select_for_replay,
    template_names,
)
from shared.events.base import Event
from shared.events.career import (
    Recommendation,
    RecommendationDecided,
    RecommendationIssued,
    RecommendationKind,
)
from shared.events.feedback import (
    CycleClosed,
    CycleKind,
    CycleOpened,
    Employee,
    EmployeeUpserted,
    EmploymentType,
)
from shared.events.notify import NotificationDelivered, NotificationFailed
from shared.events.scoring import (
    CalibrationApplied,
    Explanation,
    Flag,
    InputRef,
    LeftOut,
    MissingInput,
    Predicate,
    Rating,
    Score,
    ScoreComputed,
    ScoreFinalized,
    ScoreHeld,
)

REGION = "marelan"
SITI = "198503122010011002"  # the employee the events are about
BUDI = "197801012005011001"  # her direct supervisor
ANI = "199001012015012003"  # her peer, who rated her: must never be named to her nor told about her
GONE = "198001012006011004"  # left the service
PEER_EVENT_ID = "f00dfeed-peer-input"
# Strings only the explanation carries; none may appear in anything notify produces.
SECRETS = (ANI, PEER_EVENT_ID, "leniency", "supervisor_peer_divergence", "0.35")

# The official's free text may be about other people: it is not passed on to anyone.
CALIBRATION_NOTE = "Catatan internal pejabat penilai"

ENV = {"region": REGION, "correlation_id": "req-1", "key": SITI}


def person(nip: str, name: str, language: Language = "id", **kw: object) -> Person:
    fields: dict[str, object] = {"nip": nip, "region": REGION, "name": name, "unit_id": "dinkes"}
    fields.update({"language": language, **kw})
    return Person.model_validate(fields)


def directory(language: Language = "id", siti_name: str = "Siti Rahmawati") -> Directory:
    people = [
        person(SITI, siti_name, language, supervisor_nip=BUDI, email="siti@example.id"),
        person(BUDI, "Budi Santoso", language, email="budi@example.id"),
        person(ANI, "Ani Lestari", language, supervisor_nip=BUDI),
        person(GONE, "Gone Away", language, supervisor_nip=BUDI, email="gone@example.id", active=False),
    ]
    subs = [
        Subscription(
            subscription_id="sub-simpeg",
            region=REGION,
            event_types=HANDLED_TYPES,
            url="https://simpeg.example.id/hooks",
            secret="s" * 32,
        ),
        Subscription(
            subscription_id="sub-other-region",
            region="plaju",
            event_types=frozenset({"scoring.score_finalized"}),
            url="https://plaju.example.id/hooks",
            secret="p" * 32,
        ),
        Subscription(
            subscription_id="sub-inactive",
            region=REGION,
            event_types=frozenset({"scoring.score_finalized"}),
            url="https://old.example.id/hooks",
            secret="o" * 32,
            active=False,
        ),
        Subscription(
            subscription_id="sub-employees",
            region=REGION,
            event_types=frozenset({"feedback.employee_upserted"}),
            url="https://hris.example.id/hooks",
            secret="e" * 32,
        ),
    ]
    hr = HrDesk(region=REGION, email="sdm@marelan.go.id", language=language)
    return Directory.of(REGION, people, hr=hr, subscriptions=subs)


def score(predicate: Predicate = Predicate.SANGAT_BAIK) -> Score:
    return Score(
        cycle_id="marelan-2026",
        nip=SITI,
        unit_id="dinkes",
        rubric_id="marelan",
        rubric_version="1.0.0",
        results_score=91.0,
        behaviour_score=88.5,
        results_rating=Rating.ABOVE,
        behaviour_rating=Rating.ABOVE,
        predicate=predicate,
        explanation=Explanation(
            inputs_used=[InputRef(event_id=PEER_EVENT_ID, kind="feedback:peer")],
            left_out=[LeftOut(kind="feedback:peer", count=1, reason=f"rater {ANI} below minimum")],
            weights={"supervisor": 0.6, "peer": 0.35},
            adjustments=[f"leniency correction for rater {ANI}"],
            flags=[Flag(code="supervisor_peer_divergence", message=f"{ANI} differs from supervisor")],
        ),
        inputs_digest="ab" * 32,
    )


def recommendation(final: bool = True, nip: str | None = SITI) -> Recommendation:
    return Recommendation(
        recommendation_id="rec-1",
        cycle_id="marelan-2026",
        nip=nip,
        team_id=None if nip else "puskesmas-1",
        unit_id="dinkes",
        kind=RecommendationKind.TRAINING,
        title="Pelatihan komunikasi pelayanan publik",
        reason="Predikat Sangat Baik dua tahun berturut-turut",
        score_event_ids=["score-event-1"],
        final=final,
    )


def samples() -> dict[str, Event]:
    """One event of every type notify handles."""
    opens = datetime(2026, 1, 2, 1, 0, tzinfo=UTC)
    return {
        "cycle_opened": CycleOpened.build(
            **ENV,
            producer="feedback",
            cycle_id="marelan-2026",
            kind=CycleKind.ANNUAL,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            window_opens=opens,
            window_closes=opens + timedelta(days=30),
            reopened=True,
            reason="Koreksi data capaian",
        ),
        "cycle_closed": CycleClosed.build(**ENV, producer="feedback", cycle_id="marelan-2026"),
        "score_computed": ScoreComputed.build(**ENV, producer="scoring", score=score()),
        "score_finalized": ScoreFinalized.build(**ENV, producer="scoring", score=score()),
        "score_held": ScoreHeld.build(
            **ENV,
            producer="scoring",
            score=score(Predicate.KURANG),
            missing=[MissingInput.SUPERVISOR_ASSESSMENT],
        ),
        "calibration_applied": CalibrationApplied.build(
            **ENV,
            producer="scoring",
            cycle_id="marelan-2026",
            nip=SITI,
            unit_id="dinkes",
            previous_predicate=Predicate.BAIK,
            predicate=Predicate.SANGAT_BAIK,
            decision="overridden",
            decided_by="official-7",
            reason=CALIBRATION_NOTE,
        ),
        "recommendation_issued": RecommendationIssued.build(
            **ENV, producer="career", recommendation=recommendation()
        ),
        "recommendation_decided": RecommendationDecided.build(
            **ENV,
            producer="career",
            recommendation_id="rec-1",
            nip=SITI,
            status="rejected",
            decided_by="hr-3",
            reason="Anggaran pelatihan tahun ini habis",
        ),
    }


def pairs(notes: list[Notification]) -> set[tuple[str, str]]:
    return {(n.channel, n.recipient) for n in notes}


# ------------------------------------------------------------------ who hears what


def test_final_score_goes_to_employee_supervisor_and_matching_webhook_only() -> None:
    notes = plan_notifications(samples()["score_finalized"], directory())
    assert pairs(notes) == {
        ("inbox", SITI),
        ("email", "siti@example.id"),
        ("inbox", BUDI),
        ("email", "budi@example.id"),
        ("webhook", "sub-simpeg"),
    }
    by_role = {(n.role, n.channel): n for n in notes}
    assert by_role[(Role.EMPLOYEE, "inbox")].context["results_rating"] == "di_atas_ekspektasi"
    # The supervisor gets a summary: the predicate, not the ratings behind it.
    assert set(by_role[(Role.SUPERVISOR, "inbox")].context) == {
        "cycle_id",
        "predicate",
        "name",
        "report_name",
        "report_nip",
    }
    assert by_role[(Role.SYSTEM, "webhook")].address == "https://simpeg.example.id/hooks"


def test_a_held_score_tells_the_employee_the_supervisor_and_hr_what_is_missing_not_a_predicate() -> None:
    notes = plan_notifications(samples()["score_held"], directory())
    assert {(n.role, n.channel, n.recipient) for n in notes if n.channel != "webhook"} == {
        (Role.EMPLOYEE, "inbox", SITI),
        (Role.EMPLOYEE, "email", "siti@example.id"),
        (Role.SUPERVISOR, "inbox", BUDI),
        (Role.SUPERVISOR, "email", "budi@example.id"),
        (Role.HR, "inbox", f"hr:{REGION}"),
        (Role.HR, "email", "sdm@marelan.go.id"),
    }
    for note in notes:
        if note.channel == "webhook":
            continue
        assert "predicate" not in note.context  # held for missing input: no verdict to tell
        text = render(note).text
        words = "atasan langsung" if note.language == "id" else "direct supervisor"
        assert words in text and "supervisor_assessment" not in text
    hr = next(n for n in notes if n.role is Role.HR and n.channel == "inbox")
    assert render(hr).subject.startswith("[SDM]") and hr.context["report_nip"] == SITI


@pytest.mark.parametrize("kind", sorted(samples()))
def test_nothing_from_the_explanation_or_about_the_peer_leaves_the_service(kind: str) -> None:
    notes = plan_notifications(samples()[kind], directory())
    assert ANI not in {n.recipient for n in notes if kind not in ("cycle_opened", "cycle_closed")}
    for n in notes:
        dumped = n.model_dump_json()
        if n.channel != "webhook":
            r = render(n)
            dumped += r.subject + r.text + (r.html or "")
            assert CALIBRATION_NOTE not in dumped
        else:
            assert "explanation" not in json.dumps(n.payload)
        for secret in SECRETS:
            if n.recipient == ANI and secret == ANI:
                continue  # region-wide news addressed to Ani herself
            assert secret not in dumped, (n.template or n.channel, secret)


def test_webhook_payload_keeps_the_score_but_not_its_explanation() -> None:
    (hook,) = [
        n for n in plan_notifications(samples()["score_finalized"], directory()) if n.channel == "webhook"
    ]
    assert hook.payload is not None
    assert hook.payload["score"]["predicate"] == "sangat_baik"
    assert hook.payload["score"]["nip"] == SITI
    assert "explanation" not in hook.payload["score"]


def test_ids_are_deterministic_unique_and_the_dedupe_key() -> None:
    event = samples()["cycle_opened"]
    first = plan_notifications(event, directory())
    assert first == plan_notifications(event, directory())
    assert len({n.notification_id for n in first}) == len(first)
    for n in first:
        assert n.notification_id == notification_id(event.event_id, n.channel, n.recipient)
    other = plan_notifications(samples()["cycle_opened"], directory())  # new event id
    assert not {n.notification_id for n in first} & {n.notification_id for n in other}


def test_cycle_events_reach_active_people_of_the_region_and_hr() -> None:
    stranger = person("197001012000011005", "Joko", region="plaju", email="joko@example.id")
    d = directory()
    d = Directory.of(REGION, [*d.employees.values(), stranger], hr=d.hr, subscriptions=d.subscriptions)
    notes = plan_notifications(samples()["cycle_opened"], d)
    assert pairs(notes) == {
        ("inbox", SITI),
        ("email", "siti@example.id"),
        ("inbox", BUDI),
        ("email", "budi@example.id"),
        ("inbox", ANI),  # no address: inbox only
        ("inbox", "hr:marelan"),
        ("email", "sdm@marelan.go.id"),
        ("webhook", "sub-simpeg"),
    }
    hr = [n for n in notes if n.role is Role.HR]
    assert {n.template for n in hr} == {"cycle_opened.hr"}


def test_hr_inbox_exists_without_a_configured_desk() -> None:
    d = Directory.of(REGION, [])
    notes = plan_notifications(samples()["cycle_closed"], d)
    assert pairs(notes) == {("inbox", "hr:marelan")}
    assert notes[0].language == "id"


def test_provisional_scores_reach_webhooks_only() -> None:
    event = samples()["score_computed"]
    assert pairs(plan_notifications(event, directory())) == {("webhook", "sub-simpeg")}
    assert audience(event) == Audience()


def test_provisional_recommendations_and_team_awards_reach_no_person() -> None:
    for rec in (recommendation(final=False), recommendation(nip=None)):
        event = RecommendationIssued.build(**ENV, producer="career", recommendation=rec)
        assert pairs(plan_notifications(event, directory())) == {("webhook", "sub-simpeg")}


def test_unhandled_events_are_ignored_even_when_subscribed() -> None:
    employee = Employee(
        nip=SITI, name="Siti", position="Perawat", unit_id="dinkes", employment_type=EmploymentType.PNS
    )
    event = EmployeeUpserted.build(**ENV, producer="feedback", employee=employee)
    assert plan_notifications(event, directory()) == []


def test_unknown_or_departed_subject_and_inactive_supervisor_are_not_told() -> None:
    d = directory()
    people = {**d.employees, BUDI: d.employees[BUDI].model_copy(update={"active": False})}
    notes = plan_notifications(samples()["calibration_applied"], d.model_copy(update={"employees": people}))
    assert pairs(notes) == {("inbox", SITI), ("email", "siti@example.id"), ("webhook", "sub-simpeg")}
    gone = samples()["recommendation_decided"].model_copy(update={"nip": GONE})
    assert pairs(plan_notifications(gone, d)) == {("webhook", "sub-simpeg")}
    unknown = samples()["recommendation_decided"].model_copy(update={"nip": "200001012022011001"})
    assert pairs(plan_notifications(unknown, d)) == {("webhook", "sub-simpeg")}


def test_audience_tells_the_store_what_to_load() -> None:
    s = samples()
    assert audience(s["cycle_opened"]) == Audience(whole_region=True, hr=True)
    assert audience(s["score_finalized"]) == Audience(nips=frozenset({SITI}), supervisors=True)
    assert audience(s["recommendation_decided"]).nips == frozenset({SITI})


def test_person_keeps_only_what_notify_needs() -> None:
    employee = Employee(
        nip=SITI,
        name="Siti",
        position="Perawat",
        unit_id="dinkes",
        employment_type=EmploymentType.PNS,
        language="en",
        email="siti@example.id",
    )
    p = Person.from_upserted(EmployeeUpserted.build(**ENV, producer="feedback", employee=employee))
    assert (p.region, p.language, p.email) == (REGION, "en", "siti@example.id")
    assert "position" not in p.model_dump()


def test_delivery_event_reports_success_and_failure() -> None:
    n = plan_notifications(samples()["score_finalized"], directory())[0]
    ok = delivery_event(
        n, DeliveryResult(notification_id=n.notification_id, delivered=True, attempts=2), correlation_id="c"
    )
    assert isinstance(ok, NotificationDelivered)
    assert (ok.attempts, ok.recipient, ok.source_event_id) == (2, n.recipient, n.source_event_id)
    bad = DeliveryResult(notification_id=n.notification_id, delivered=False, attempts=5, error="HTTP 500")
    failed = delivery_event(n, bad, correlation_id="c")
    assert isinstance(failed, NotificationFailed)
    assert (failed.error, failed.key) == ("HTTP 500", n.notification_id)


# ------------------------------------------------------------------ rendering


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", sorted(samples()))
def test_every_message_renders_in_both_languages(kind: str, lang: Language) -> None:
    for n in plan_notifications(samples()[kind], directory(lang)):
        if n.channel == "webhook":
            continue
        r = render(n)
        assert r.subject and "\n" not in r.subject
        assert "{{" not in r.text and "{%" not in r.text
        greeting = "Yth." if lang == "id" else "Dear"
        assert r.text.startswith(greeting)
        assert r.html is not None and "<html" in r.html


def test_samples_cover_every_template() -> None:
    used = {
        n.template
        for event in samples().values()
        for n in plan_notifications(event, directory())
        if n.template
    }
    assert used == set(template_names())


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", ["Sangat Baik", "Di Atas Ekspektasi", "Rating Perilaku Kerja"]),
        ("en", ["Very good", "Above expectations", "Behaviour rating"]),
    ],
)
def test_predicate_and_ratings_are_in_the_recipients_language(lang: Language, words: list[str]) -> None:
    notes = plan_notifications(samples()["score_finalized"], directory(lang))
    own = next(n for n in notes if n.role is Role.EMPLOYEE and n.channel == "email")
    r = render(own)
    for word in words:
        assert word in r.text
        assert word in (r.html or "")
    assert words[0] in r.subject


def test_each_recipient_gets_their_own_language() -> None:
    d = directory("id")
    budi = d.employees[BUDI].model_copy(update={"language": "en"})
    d = d.model_copy(update={"employees": {**d.employees, BUDI: budi}})
    notes = plan_notifications(samples()["score_finalized"], d)
    texts = {n.recipient: render(n).subject for n in notes if n.channel == "inbox"}
    assert texts[SITI] == "Predikat kinerja Anda untuk marelan-2026: Sangat Baik"
    assert texts[BUDI] == "Performance predicate of Siti Rahmawati (marelan-2026): Very good"


def test_labels_exist_for_every_predicate_in_both_languages() -> None:
    for p in Predicate:
        assert label("predicate", p.value, "id") != p.value
        assert label("predicate", p.value, "en") != p.value
    assert label("predicate", "sangat_baik", "en") == "Very good"


def test_dates_are_local_and_spelled_in_the_language() -> None:
    (n,) = [
        n
        for n in plan_notifications(samples()["cycle_opened"], directory("id"))
        if n.recipient == SITI and n.channel == "inbox"
    ]
    text = render(n).text
    assert "1 Januari 2026 s.d. 31 Desember 2026" in text
    assert "2 Januari 2026 08.00 WIB" in text  # 01:00 UTC is 08:00 in Jakarta
    assert "Alasan: Koreksi data capaian" in text


def test_html_is_escaped_and_text_is_not() -> None:
    d = directory("en", siti_name="Siti <script>x</script>")
    for kind in ("score_finalized", "recommendation_decided"):  # own HTML template and generic layout
        n = next(n for n in plan_notifications(samples()[kind], d) if n.recipient == SITI)
        r = render(n)
        assert "Siti <script>x</script>" in r.text
        assert r.html is not None
        assert "<script>" not in r.html and "&lt;script&gt;" in r.html


def test_webhooks_have_no_template() -> None:
    hook = next(
        n for n in plan_notifications(samples()["score_finalized"], directory()) if n.channel == "webhook"
    )
    with pytest.raises(TemplateMissing):
        render(hook)


# ------------------------------------------------------------------ replay


def record(i: int, status: DeliveryStatus, recipient: str = "sub-simpeg") -> DeliveryRecord:
    at = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=i)
    return DeliveryRecord(
        notification_id=f"n-{i}",
        source_event_id=f"e-{i}",
        event_type="scoring.score_finalized",
        channel="webhook",
        recipient=recipient,
        status=status,
        attempts=5,
        created_at=at,
        updated_at=at,
    )


def test_replay_picks_failed_deliveries_of_one_subscription_in_the_window_oldest_first() -> None:
    records = [
        record(5, DeliveryStatus.FAILED),
        record(1, DeliveryStatus.FAILED),
        record(2, DeliveryStatus.DELIVERED),
        record(3, DeliveryStatus.FAILED, recipient="sub-other"),
        record(9, DeliveryStatus.FAILED),  # after the window
    ]
    since = datetime(2026, 3, 1, tzinfo=UTC)
    query = ReplayQuery(recipient="sub-simpeg", since=since, until=since + timedelta(hours=9))
    assert [r.notification_id for r in select_for_replay(records, query)] == ["n-1", "n-5"]
    everything = query.model_copy(
        update={"statuses": frozenset(DeliveryStatus) - {DeliveryStatus.IN_PROGRESS}}
    )
    assert [r.notification_id for r in select_for_replay(records, everything)] == ["n-1", "n-2", "n-5"]
    assert len(select_for_replay(records, query.model_copy(update={"limit": 1}))) == 1


def test_replay_query_rejects_empty_windows_and_in_flight_deliveries() -> None:
    since = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="until must be after since"):
        ReplayQuery(since=since, until=since)
    with pytest.raises(ValueError, match="in progress"):
        ReplayQuery(
            since=since, until=since + timedelta(days=1), statuses=frozenset({DeliveryStatus.IN_PROGRESS})
        )


@pytest.mark.parametrize(("unit_predicates", "warned"), [({}, True), ({"dinkes": "Baik"}, False)])
def test_hr_hears_when_a_cycle_closed_without_unit_predicates(
    unit_predicates: dict[str, str], warned: bool
) -> None:
    event = CycleClosed.build(
        **ENV, producer="feedback", cycle_id="marelan-2026", unit_predicates=unit_predicates
    )
    for language, word in (("id", "PERHATIAN"), ("en", "WARNING")):
        d = Directory.of(REGION, [], hr=HrDesk(region=REGION, language=language))
        [hr] = [n for n in plan_notifications(event, d) if n.recipient == "hr:marelan"]
        assert (word in render(hr).text) is warned, language
