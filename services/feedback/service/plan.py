"""Use cases on SKP plans and the reports against them."""

from __future__ import annotations

import uuid

from services.feedback import access
from services.feedback.domain import (
    Achievement,
    AchievementCreate,
    Plan,
    PlanCreate,
    PlanReturn,
    PlanStatus,
    Progress,
    ProgressCreate,
    indicator_units,
    link_problems,
    plan_id_of,
    plan_problems,
    realisation_problems,
    utcnow,
)
from services.feedback.service.common import WRITE_ATTEMPTS, UseCases, build, invalid, lost_race
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events.feedback import (
    AchievementReported,
    PlanApproved,
    PlanReturned,
    PlanSubmitted,
    ProgressReported,
)


class PlanUseCases(UseCases):
    async def submit_plan(
        self, caller: Principal, region: str, cycle_id: str, nip: str, body: PlanCreate
    ) -> Plan:
        """Submit or revise one's own plan; an approved plan is locked."""
        access.check_own(caller, nip)
        employee = await self._employee(region, nip)
        cycle = await self._accepting_cycle(region, cycle_id, utcnow())
        problems = plan_problems(body.results)
        sup_plan_id = plan_id_of(cycle.cycle_id, employee.supervisor_nip) if employee.supervisor_nip else None
        sup_results = None
        if sup_plan_id and any(r.supports for r in body.results):
            sup_doc = await self.store.plan(sup_plan_id)
            sup_results = [r["result_id"] for r in sup_doc["results"]] if sup_doc else None
        problems += link_problems(body.results, sup_plan_id, sup_results)
        if problems:
            raise invalid(problems, "invalid-plan")
        plan_id = plan_id_of(cycle_id, nip)
        for _ in range(WRITE_ATTEMPTS):
            current = await self.store.plan(plan_id)
            if current and current["status"] == PlanStatus.APPROVED:
                raise Conflict("the plan is approved and can no longer change", slug="plan-approved")
            plan = Plan(
                plan_id=plan_id,
                region=region,
                cycle_id=cycle_id,
                nip=nip,
                status=PlanStatus.SUBMITTED,
                results=body.results,
                submitted_at=utcnow(),
            )
            event = build(
                PlanSubmitted,
                region=region,
                key=nip,
                cycle_id=cycle_id,
                plan_id=plan_id,
                nip=nip,
                results=body.results,
            )
            rev = int(current["rev"]) if current else 0
            if await self.store.write_plan(plan_id, rev, plan.model_dump(mode="json"), [event]):
                await self._audit(caller, region, "plan.submitted", plan_id)
                return plan
        raise lost_race(f"plan {plan_id}")

    async def get_plan(self, caller: Principal, region: str, cycle_id: str, nip: str) -> Plan:
        """The plan, for those who see the employee and for their direct reports
        (:func:`~services.feedback.access.check_reads_plan`)."""
        caller.require_region(region)
        owner = await self._employee(region, nip)
        me = None
        if not access.sees(caller, owner) and caller.nip:
            me = await self._employee(region, caller.nip)
        access.check_reads_plan(caller, owner, me)
        await self._cycle(region, cycle_id)
        doc = await self.store.plan(plan_id_of(cycle_id, nip))
        if doc is None:
            raise NotFound(f"{nip} has no plan in cycle {cycle_id}", slug="plan-not-found")
        return Plan.model_validate(doc)

    async def decide_plan(
        self, caller: Principal, region: str, cycle_id: str, nip: str, returned: PlanReturn | None
    ) -> Plan:
        """Approve (``returned`` None) or return a submitted plan, as the appraiser
        (:func:`~services.feedback.access.appraiser_of`): ``decided_by`` is their NIP (HR's, for a
        head without a supervisor in the region; the audit names the role)."""
        employee = await self._employee(region, nip)
        approver = access.appraiser_of(employee, caller)
        await self._accepting_cycle(region, cycle_id, utcnow())
        plan_id = plan_id_of(cycle_id, nip)
        doc = await self.store.plan(plan_id)
        if doc is None:
            raise NotFound(f"{nip} has no plan in cycle {cycle_id}", slug="plan-not-found")
        plan = Plan.model_validate(doc)
        if plan.status is not PlanStatus.SUBMITTED:
            raise Conflict(f"the plan is {plan.status.value}, not submitted", slug="plan-not-submitted")
        base = {"region": region, "key": nip, "cycle_id": cycle_id, "plan_id": plan_id, "nip": nip}
        event: PlanApproved | PlanReturned
        if returned is None:
            status = PlanStatus.APPROVED
            event = build(PlanApproved, **base, approved_by=approver, results=plan.results)
        else:
            status = PlanStatus.RETURNED
            event = build(PlanReturned, **base, reason=returned.reason)
        decided = plan.model_copy(
            update={
                "status": status,
                "decided_by": approver,
                "decided_at": utcnow(),
                "return_reason": returned.reason if returned else None,
            }
        )
        fields = decided.model_dump(
            mode="json", include={"status", "decided_by", "decided_at", "return_reason"}
        )
        if not await self.store.write_plan(plan_id, int(doc["rev"]), fields, [event]):
            raise lost_race(f"plan {plan_id}")
        await self._audit(caller, region, f"plan.{status.value}", plan_id, reason=decided.return_reason)
        return decided

    async def report_progress(
        self, caller: Principal, region: str, cycle_id: str, nip: str, body: ProgressCreate
    ) -> Progress:
        """Progress at any time in the window, against the current plan (approved or not yet)."""
        access.check_own(caller, nip)
        await self._employee(region, nip)
        await self._accepting_cycle(region, cycle_id, utcnow())
        doc = await self.store.plan(plan_id_of(cycle_id, nip))
        if doc is None:
            raise Conflict("submit a plan before reporting progress", slug="no-plan")
        plan = Plan.model_validate(doc)
        problems = realisation_problems(body.realisations, indicator_units(plan.results), complete=False)
        if problems:
            raise invalid(problems, "invalid-realisation")
        report = Progress(
            report_id=str(uuid.uuid4()),
            cycle_id=cycle_id,
            nip=nip,
            realisations=[r.to_event() for r in body.realisations],
            note=body.note,
            reported_at=utcnow(),
        )
        event = build(
            ProgressReported,
            region=region,
            key=nip,
            cycle_id=cycle_id,
            nip=nip,
            realisations=report.realisations,
            note=body.note,
        )
        fields = {"region": region, **report.model_dump(mode="json")}
        await self.store.add_progress(report.report_id, fields, [event])
        await self._audit(
            caller, region, "progress.reported", nip, cycle_id=cycle_id, report_id=report.report_id
        )
        return report

    async def list_progress(self, caller: Principal, region: str, cycle_id: str, nip: str) -> list[Progress]:
        await self._visible_employee(caller, region, nip)
        await self._cycle(region, cycle_id)
        return [Progress.model_validate(d) for d in await self.store.progress_reports(cycle_id, nip)]

    async def report_achievement(
        self, caller: Principal, region: str, cycle_id: str, nip: str, body: AchievementCreate
    ) -> Achievement:
        """The final report: one realisation per indicator of the APPROVED plan; a resubmission
        replaces the earlier one with version + 1."""
        access.check_own(caller, nip)
        await self._employee(region, nip)
        await self._accepting_cycle(region, cycle_id, utcnow())
        plan_id = plan_id_of(cycle_id, nip)
        doc = await self.store.plan(plan_id)
        if doc is None or doc["status"] != PlanStatus.APPROVED:
            raise Conflict("the final report needs an approved plan", slug="plan-not-approved")
        plan = Plan.model_validate(doc)
        problems = realisation_problems(body.realisations, indicator_units(plan.results), complete=True)
        if problems:
            raise invalid(problems, "invalid-realisation")
        for _ in range(WRITE_ATTEMPTS):
            current = await self.store.achievement(plan_id)
            rev = int(current["rev"]) if current else 0
            report = Achievement(
                cycle_id=cycle_id,
                nip=nip,
                plan_id=plan_id,
                version=rev + 1,
                realisations=[r.to_event() for r in body.realisations],
                reported_at=utcnow(),
            )
            event = build(
                AchievementReported,
                region=region,
                key=nip,
                cycle_id=cycle_id,
                nip=nip,
                realisations=report.realisations,
                version=report.version,
            )
            fields = {"region": region, **report.model_dump(mode="json")}
            if await self.store.write_achievement(plan_id, rev, fields, [event]):
                await self._audit(
                    caller, region, "achievement.reported", nip, cycle_id=cycle_id, version=report.version
                )
                return report
        raise lost_race(f"achievement report of {nip}")

    async def get_achievement(self, caller: Principal, region: str, cycle_id: str, nip: str) -> Achievement:
        await self._visible_employee(caller, region, nip)
        await self._cycle(region, cycle_id)
        doc = await self.store.achievement(plan_id_of(cycle_id, nip))
        if doc is None:
            raise NotFound(
                f"{nip} has no achievement report in cycle {cycle_id}", slug="achievement-not-found"
            )
        return Achievement.model_validate(doc)
