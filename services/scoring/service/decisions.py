"""An official's decisions on a closed cycle's scores: calibrating a final predicate, and HR
finalising a held score as it stands.

Each decision, its audit entry and its event are one write of the score's document (the event is
staged in its outbox). The caller's right to decide is checked here, by
:mod:`services.scoring.access`, on the score and the employee read for the decision.
"""

from __future__ import annotations

from typing import Any, Literal

from services.scoring import access
from services.scoring.domain import CurveEntry, check_curve
from services.scoring.mapping import unit_member
from services.scoring.service.common import PRODUCER, UseCases, derived_id
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.events.scoring import CalibrationApplied, Predicate, Score, ScoreFinalized
from shared.logging import correlation_id


class DecisionUseCases(UseCases):
    async def _decided_on(self, who: Principal, cycle_id: str, nip: str) -> dict[str, Any]:
        """The score ``who`` decides on, if it exists and ``who`` may decide on it."""
        doc = await self.store.score(cycle_id, nip)
        if doc is None:
            raise NotFound(f"no score for {nip} in cycle {cycle_id}", slug="score-not-found")
        employee = await self.store.employee(nip) if access.needs_directory(who, nip) else None
        access.authorise_decision(who, doc["region"], employee)
        return doc

    async def calibrate(
        self,
        who: Principal,
        cycle_id: str,
        nip: str,
        *,
        decision: Literal["confirmed", "overridden"],
        predicate: Predicate | None,
        reason: str,
    ) -> CalibrationApplied:
        """The appraising official (or HR) confirms or overrides a final predicate, with a reason."""
        doc = await self._decided_on(who, cycle_id, nip)
        if doc["status"] != "final":
            raise Conflict("only a final score can be calibrated; close the cycle first", slug="not-final")
        previous = Predicate(doc["predicate"])
        if decision == "overridden":
            if predicate is None or predicate == previous:
                raise ValidationFailed(
                    "an override names a predicate other than the current one", slug="override-predicate"
                )
            chosen = predicate
        else:
            if predicate is not None and predicate != previous:
                # A confirmation of something else is a mistake either way: refuse it rather than
                # record one decision while the official meant another.
                raise ValidationFailed(
                    f"a confirmation keeps the current predicate {previous.value}; to change it to "
                    f"{predicate.value}, override",
                    slug="confirm-predicate",
                )
            chosen = previous
        if not reason.strip():
            raise ValidationFailed("a calibration needs a reason", slug="reason-required")
        count = doc.get("calibrations", 0) + 1
        event: CalibrationApplied = CalibrationApplied.build(
            event_id=derived_id("calibration", cycle_id, nip, count),
            region=doc["region"],
            correlation_id=correlation_id.get() or "calibration",
            producer=PRODUCER,
            key=nip,
            cycle_id=cycle_id,
            nip=nip,
            unit_id=doc["unit_id"],
            previous_predicate=previous,
            predicate=chosen,
            decision=decision,
            decided_by=who.subject,
            reason=reason,
        )
        audit = {
            "decision": decision,
            "from": previous.value,
            "to": chosen.value,
            "by": who.subject,
            "role": str(who.role),
            "reason": reason,
        }
        await self.store.record_decision(
            doc["_in"], doc["_id"], {"predicate": chosen.value, "calibrated": True}, event, audit
        )
        return event

    async def finalise_held(
        self, who: Principal, cycle_id: str, nip: str, *, reason: str
    ) -> tuple[ScoreFinalized, list[str]]:
        """HR finalises a held score as it stands, inputs still missing, with a reason; returns the
        event and the inputs it lacks.

        The score joins its unit's curve: the check runs again over the unit's final scores with
        this one, and the event carries its result. Other members' final events are not issued
        again; the distribution view always shows the check as it stands (docs/scoring.md).
        """
        doc = await self._decided_on(who, cycle_id, nip)
        if doc["status"] != "held":
            raise Conflict(
                f"only a held score is finalised this way; this one is {doc['status']}", slug="not-held"
            )
        if not reason.strip():
            raise ValidationFailed("finalising a held score needs a reason", slug="reason-required")
        score = Score.model_validate_json(doc["score"])
        org = doc.get("unit_predicate")
        violations: list[Any] = []
        proposed: Predicate | None = None
        if org:
            unit = await self.store.cycle_scores(cycle_id, doc["unit_id"])
            others = [unit_member(d).entry for d in unit if d["status"] == "final" and d["nip"] != nip]
            check = check_curve(doc["unit_id"], org, [*others, CurveEntry.from_score(score)])
            violations, proposed = list(check.violations), check.proposed.get(nip)
        event: ScoreFinalized = ScoreFinalized.build(
            event_id=derived_id("finalized", cycle_id, nip, doc["digest"], doc["revision"]),
            region=doc["region"],
            correlation_id=correlation_id.get() or "finalisation",
            producer=PRODUCER,
            key=nip,
            score=score,
            unit_predicate=org,
            violations=violations,
            proposed_predicate=proposed,
        )
        missing = list(doc.get("missing", []))
        audit = {
            "decision": "finalised_incomplete",
            "from": doc["predicate"],
            "to": doc["predicate"],
            "by": who.subject,
            "role": str(who.role),
            "reason": reason,
            "missing": missing,
        }
        fields = {
            "status": "final",
            "accepted_incomplete": True,
            "violations": [v.model_dump() for v in violations],
            "proposed_predicate": proposed.value if proposed else None,
        }
        await self.store.record_decision(doc["_in"], doc["_id"], fields, event, audit, calibration=False)
        return event, missing
