"""Use cases of the career service: scores in, recommendations out, HR decisions, potentials.

The rules are in :mod:`services.career.domain`, what the score documents say in
:mod:`services.career.service.scores`; this package loads what they need from the store,
calls them, and writes what they conclude. Every write of a recommendation is one document
carrying its own events (the outbox), and every event id is derived from the recommendation id
and its revision, so a replayed handler republishes the same ids and consumers drop the repeats.

Idempotency: score documents keep the first event of an identical score, recommendation ids are
derived from their content, and :func:`~services.career.domain.reconcile` leaves unchanged ones
alone, so reprocessing a score (the same event or the same score under a new id) writes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from services.career.access import (
    Audience,
    RecommendationFilter,
    audience_of,
    check_region,
    check_wanted,
    directory_reader,
    list_reads,
    needs_employee_region,
)
from services.career.domain import (
    CareerPolicy,
    CycleOutcome,
    Decided,
    Decision,
    History,
    PotentialAssessment,
    RecommendationQuery,
    Reconciliation,
    StoredRecommendation,
    decide,
    recommend,
    reconcile,
    resolve_policy,
    select_team_awards,
)
from services.career.service.scores import (
    ScoreEvent,
    assign_periods,
    current_input,
    final_slots,
    score_fields,
    touched_by,
)
from services.career.store import CareerStorage, StaleWrite, now
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound
from shared.events.career import Recommendation, RecommendationDecided, RecommendationIssued
from shared.events.feedback import CycleOpened, EmployeeUpserted
from shared.events.scoring import CalibrationApplied
from shared.logging import correlation_id

__all__ = ["CareerService", "ScoreEvent", "event_id_for", "touched_by"]

PRODUCER = "career"
TEAM_AWARD_ROUNDS = 5
"""Rankings of a cycle's team awards one refresh makes at most while final scores keep arriving."""
log = logging.getLogger(__name__)
#: Namespace of derived event ids: uuid5(namespace, "<recommendation id>:<revision>").
EVENT_NAMESPACE = uuid.UUID("0b1f4d0e-6c1a-4f4e-9a57-6b0c2b7a9e31")


def event_id_for(recommendation_id: str, revision: int) -> uuid.UUID:
    """Id of the event announcing ``revision`` of a recommendation: the same on every replay."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{recommendation_id}:{revision}")


@dataclass
class CareerService:
    """The career use cases over one store and one plugin manager."""

    store: CareerStorage
    plugins: pluggy.PluginManager
    _policies: dict[str, CareerPolicy] = field(default_factory=dict)

    def policy(self, region: str) -> CareerPolicy:
        """The region's policy through the plugin hooks, resolved once per region."""
        if region not in self._policies:
            self._policies[region] = resolve_policy(self.plugins, region)
        return self._policies[region]

    # ------------------------------------------------------------------ inputs
    async def record_score(self, event: ScoreEvent) -> None:
        """Keep the newest provisional score, final score and calibration of the event's cycle.

        An identical score under another event id keeps the first one, so the reasons of the
        recommendations keep pointing at the event they came from.
        """
        if isinstance(event, CalibrationApplied):
            cycle_id, nip = event.cycle_id, event.nip
        else:
            cycle_id, nip = event.score.cycle_id, event.score.nip
        doc = await self.store.score_doc(cycle_id, nip) or {}
        fields = score_fields(doc, event)
        if fields is not None:
            await self.store.save_score_fields(
                cycle_id=cycle_id, nip=nip, region=event.region, seen_at=event.occurred_at, fields=fields
            )

    async def record_cycle(self, event: CycleOpened) -> None:
        await self.store.save_cycle(
            event.cycle_id,
            region=event.region,
            period_end=event.period_end.isoformat(),
            kind=event.kind.value,
        )

    async def record_employee(self, event: EmployeeUpserted) -> None:
        await self.store.save_employee(event.employee, region=event.region, occurred_at=event.occurred_at)

    async def record_potential(
        self, cycle_id: str, region: str, assessment: PotentialAssessment
    ) -> list[StoredRecommendation]:
        """Store HR's potential assessment and recompute the cycle's recommendations (the 9-box).

        Returns the employee's recommendations of that cycle as they now stand.
        """
        await self.store.save_potential(cycle_id, region, assessment)
        await self.refresh_employee(assessment.nip, cycle_id)
        return await self.store.recommendations_of(cycle_id, assessment.nip)

    async def check_cycle_region(self, cycle_id: str, nip: str, region: str) -> None:
        """Refuse a potential recorded against a cycle of another region, or one career never saw.

        The cycle's region comes from ``feedback.cycle_opened``, else from a score of the
        employee in that cycle.

        :raises Forbidden: the cycle belongs to another region.
        :raises NotFound: career has seen neither the cycle nor a score of the employee in it.
        """
        cycle_region = await self.store.cycle_region(cycle_id)
        if cycle_region is None:
            doc = await self.store.score_doc(cycle_id, nip)
            cycle_region = str(doc["region"]) if doc else None
        if cycle_region is None:
            raise NotFound(f"no cycle {cycle_id} is known to the career service", slug="cycle-not-found")
        if cycle_region != region:
            raise Forbidden(f"cycle {cycle_id} belongs to another region", slug="other-region")

    async def region_of(self, nip: str) -> str:
        """The employee's region: from the directory, else from their scores.

        :raises NotFound: career knows nothing of the employee.
        """
        employee = await self.store.employee(nip)
        if employee is not None:
            return str(employee["region"])
        docs = await self.store.score_docs_of(nip)
        if docs:
            return str(docs[0]["region"])
        raise NotFound(f"no employee {nip} is known to the career service", slug="employee-not-found")

    # ------------------------------------------------------------------ recommendations
    async def recommendation(self, recommendation_id: str) -> StoredRecommendation:
        """:raises NotFound: no such recommendation."""
        stored = await self.store.recommendation(recommendation_id)
        if stored is None:
            raise NotFound(f"no recommendation {recommendation_id}", slug="recommendation-not-found")
        return stored

    async def visible_recommendation(
        self, principal: Principal, recommendation_id: str
    ) -> StoredRecommendation:
        """The recommendation, if ``principal`` may see it (:mod:`services.career.access`).

        :raises NotFound: no such recommendation.
        :raises Forbidden: it is not the caller's to see.
        """
        stored = await self.recommendation(recommendation_id)
        (await self.audience(principal)).check(stored)
        return stored

    async def visible_recommendations(
        self, audience: Audience, wanted: RecommendationFilter, after: str | None, limit: int
    ) -> list[StoredRecommendation]:
        """The recommendations matching ``wanted`` that ``audience`` (:meth:`audience`) may see, by
        id, from the id after ``after``, at most ``limit``; the reads are the ones
        :func:`~services.career.access.list_reads` names, each walking an index from ``after`` up
        to the page.

        :raises Forbidden: ``wanted`` names a region, employee or team not the caller's to see.
        """
        check_region(audience, wanted)
        employee_region = None
        if needs_employee_region(audience, wanted):
            employee = await self.store.employee(str(wanted.nip))
            employee_region = None if employee is None else str(employee["region"])
        check_wanted(audience, wanted, employee_region)
        reads = list_reads(audience, wanted)
        if reads.whole:
            return await self.store.list_recommendations(reads.queries[0], after=after, limit=limit)
        found: dict[str, StoredRecommendation] = {}
        for query in reads.queries:
            for stored in await self._page_in_region(query, reads.region, after, limit):
                found[stored.recommendation_id] = stored
        return [found[key] for key in sorted(found) if audience.admits(found[key])][:limit]

    async def audience(self, principal: Principal) -> Audience:
        """What ``principal`` may see, reading the directory for employees and supervisors."""
        nip = directory_reader(principal)
        if nip is None:
            return audience_of(principal)
        me = await self.store.employee(nip)
        reports = []
        if principal.role is Role.SUPERVISOR:
            reports = [(str(r["_id"]), r.get("team_id")) for r in await self.store.direct_reports(nip)]
        return audience_of(principal, me.get("team_id") if me is not None else None, reports)

    async def _page_in_region(
        self, query: RecommendationQuery, region: str | None, after: str | None, limit: int
    ) -> list[StoredRecommendation]:
        """Up to ``limit`` matches of ``query`` in ``region`` after ``after``, by id: the region is
        checked on what is read (a person's recommendations from a region they left are skipped),
        reading on until the page is full or the matches end."""
        found: list[StoredRecommendation] = []
        while True:
            page = await self.store.list_recommendations(query, after=after, limit=limit)
            found += [s for s in page if region is None or s.region == region]
            if len(found) >= limit or len(page) < limit:
                return found[:limit]
            after = page[-1].recommendation_id

    async def refresh_employee(self, nip: str, cycle_id: str) -> None:
        """Recompute the employee's recommendations of ``cycle_id`` and of every later cycle.

        Later cycles are included because their streaks and sanction ladder rest on this cycle's
        final outcome (a calibration may change it); unchanged ones are left alone by reconcile.
        """
        docs = await self.store.score_docs_of(nip)
        periods = assign_periods(docs, await self.store.period_ends(d["cycle_id"] for d in docs))
        inputs = {
            doc["cycle_id"]: (doc["region"], s) for doc in docs if (s := current_input(doc)) is not None
        }
        outcomes = [CycleOutcome.from_score(s, periods[c]) for c, (_, s) in inputs.items() if s.final]
        potentials = await self.store.potentials_of(nip)
        if cycle_id not in inputs:
            return  # no score of that cycle yet: its recommendations come with the score
        start = periods[cycle_id]
        for cycle in sorted(inputs, key=lambda c: periods[c]):
            if periods[cycle] < start:
                continue
            region, score = inputs[cycle]
            # Only earlier periods count, whatever the store holds about later ones.
            history = History(outcomes=tuple(o for o in outcomes if o.period < periods[cycle]))
            fresh = recommend(score, history, self.policy(region), potentials.get(cycle))
            existing = await self.store.recommendations_of(cycle, nip)
            await self._apply(
                reconcile([s.recommendation for s in existing], fresh, final=score.final), existing, region
            )

    async def refresh_team_awards(self, region: str, cycle_id: str) -> None:
        """Recompute the team awards of a region's cycle from the final scores in so far.

        Each final score may change the ranking, so the awards are recomputed per batch of score
        events; a team that no longer wins has its proposal superseded.

        Two instances may rank the same cycle at once, each after storing its own partitions'
        scores. One that wrote awards checks that the scores it ranked are still all there are,
        and ranks again if not: otherwise a ranking of fewer scores could be written last and
        stand, when the instance that stored the last score found nothing to change.
        """
        policy = self.policy(region)
        if policy.team_award is None:
            return
        docs = await self.store.final_team_scores(region, cycle_id)
        for _ in range(TEAM_AWARD_ROUNDS):
            scores = [s for doc in docs if (s := current_input(doc)) is not None and s.final]
            fresh = select_team_awards(scores, policy)
            existing = await self.store.team_awards(region, cycle_id)
            teams = {r.team_id for r in fresh} | {s.recommendation.team_id for s in existing}
            wrote = False
            for team in sorted(t for t in teams if t is not None):
                mine = [s for s in existing if s.recommendation.team_id == team]
                outcome = reconcile(
                    [s.recommendation for s in mine], [r for r in fresh if r.team_id == team], final=True
                )
                wrote = await self._apply(outcome, mine, region) or wrote
            if not wrote:
                return
            again = await self.store.final_team_scores(region, cycle_id)
            if final_slots(again) == final_slots(docs):
                return
            docs = again
        log.warning(
            "team awards of %s %s still changing after %d rounds", region, cycle_id, TEAM_AWARD_ROUNDS
        )

    async def decide_recommendation(
        self, recommendation_id: str, decision: Decision, *, region: str
    ) -> StoredRecommendation:
        """Apply HR's decision and publish ``RecommendationDecided`` with the change.

        :raises NotFound: no such recommendation.
        :raises Forbidden: it belongs to another region than ``region``, the decider's.
        :raises ValidationFailed: a rejection without a reason.
        :raises Conflict: the recommendation is no longer proposed, or changed meanwhile.
        """
        stored = await self.recommendation(recommendation_id)
        if stored.region != region:
            raise Forbidden("this region's data is not yours to see", slug="other-region")
        decided = decide(stored.recommendation, decision)
        if decided is stored.recommendation:
            return stored  # the same decision again: a retried request
        revision = stored.revision + 1
        updated = StoredRecommendation(
            recommendation=decided,
            region=region,
            revision=revision,
            decision=Decided(decision.status, decision.decided_by, decision.reason, now()),
        )
        event: RecommendationDecided = RecommendationDecided.build(
            event_id=event_id_for(recommendation_id, revision),
            recommendation_id=recommendation_id,
            nip=decided.nip,
            status=decision.status,
            decided_by=decision.decided_by,
            reason=decision.reason,
            **_envelope(decided, region),
        )
        try:
            await self.store.replace_recommendation(
                updated, expected_revision=stored.revision, events=[event]
            )
        except StaleWrite:
            raise Conflict("the recommendation changed meanwhile; reload it", slug="stale-write") from None
        return updated

    async def _apply(
        self, outcome: Reconciliation, existing: Sequence[StoredRecommendation], region: str
    ) -> bool:
        """Write what reconcile concluded: each new or superseded recommendation in its own write.
        Returns whether there was anything to write."""
        if not outcome.changed:
            return False
        by_id = {s.recommendation_id: s for s in existing}
        # Supersede first: readers and consumers see the old proposal withdrawn before its successor.
        for rec in (*outcome.superseded, *outcome.new):
            prior = by_id.get(rec.recommendation_id)
            revision = 1 if prior is None else prior.revision + 1
            stored = StoredRecommendation(recommendation=rec, region=region, revision=revision)
            event: RecommendationIssued = RecommendationIssued.build(
                event_id=event_id_for(rec.recommendation_id, revision),
                recommendation=rec,
                **_envelope(rec, region),
            )
            if prior is None:
                await self.store.insert_recommendation(stored, [event])
            else:
                await self.store.replace_recommendation(
                    stored, expected_revision=prior.revision, events=[event]
                )
        return True


def _envelope(rec: Recommendation, region: str) -> dict[str, Any]:
    return {
        "region": region,
        "correlation_id": correlation_id.get() or f"career-{rec.recommendation_id}",
        "producer": PRODUCER,
        "key": rec.nip or f"team:{rec.team_id}",
    }
