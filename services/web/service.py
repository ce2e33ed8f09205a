"""What each page reads and writes, through the services' APIs. No rule of the domain lives here:
the services decide, the web shows their answers (and their refusals)."""

from __future__ import annotations

import asyncio
from typing import Any

from services.web.clients import ApiProblem, Json, Services, seg
from services.web.signin import Person

#: The 9-box grid as PermenPANRB 3/2020 draws it: rows of potential (high first), columns of
#: performance (low first); the numbers are the boxes career places people in.
#: Members per read of a team (feedback allows up to 1000; the page shows them all).
TEAM_PAGE = 200
NINE_BOX_ROWS = ((7, 8, 9), (4, 5, 6), (1, 2, 3))


class WebService:
    def __init__(self, services: Services) -> None:
        self.api = services

    # ------------------------------------------------------------------ cycles and organisation

    async def cycles(self, person: Person) -> list[Json]:
        cycles: list[Json] = await self.api.feedback.get(f"/regions/{person.region}/cycles", person.token)
        return sorted(cycles, key=lambda c: str(c.get("window_opens", "")), reverse=True)

    async def cycle(self, person: Person, chosen: str | None = None) -> Json | None:
        """The cycle a page is about: the one chosen, else the newest open one, else the newest."""
        if chosen:
            found: Json = await self.api.feedback.get(
                f"/regions/{person.region}/cycles/{seg(chosen)}", person.token
            )
            return found
        cycles = await self.cycles(person)
        open_ = [c for c in cycles if c.get("status") == "open"]
        return (open_ or cycles)[0] if cycles else None

    async def units(self, person: Person) -> list[Json]:
        units: list[Json] = await self.api.feedback.get(f"/regions/{person.region}/units", person.token)
        return units

    async def employee(self, person: Person, nip: str) -> Json:
        found: Json = await self.api.feedback.get(
            f"/regions/{person.region}/employees/{seg(nip)}", person.token
        )
        return found

    async def rubric(self, region: str, source: str | None = None, *, service_role: bool = True) -> Json:
        """The region's form: with ``source``, only the questions that source is asked."""
        params = {"source": source, "service_role": str(service_role).lower()} if source else {}
        form: Json = await self.api.feedback.get(f"/public/regions/{seg(region)}/rubric", None, **params)
        return form

    async def open_cycles(self, region: str) -> list[Json]:
        """The region's open cycles, public (the citizen form has no account)."""
        found: list[Json] = await self.api.feedback.get(f"/public/regions/{seg(region)}/open-cycles", None)
        return sorted(found, key=lambda c: str(c.get("window_opens", "")), reverse=True)

    # ------------------------------------------------------------------ plans and reports

    def _cycle_path(self, person: Person, cycle_id: str) -> str:
        return f"/regions/{person.region}/cycles/{seg(cycle_id)}"

    async def plan(self, person: Person, cycle_id: str, nip: str) -> Json | None:
        return await self.api.feedback.find(
            f"{self._cycle_path(person, cycle_id)}/plans/{seg(nip)}", person.token
        )

    async def submit_plan(self, person: Person, cycle_id: str, results: list[Json]) -> Json:
        plan: Json = await self.api.feedback.call(
            "PUT",
            f"{self._cycle_path(person, cycle_id)}/plans/{person.nip}",
            person.token,
            json={"results": results},
        )
        return plan

    async def decide_plan(
        self, person: Person, cycle_id: str, nip: str, approve: bool, reason: str = ""
    ) -> Json:
        path = f"{self._cycle_path(person, cycle_id)}/plans/{seg(nip)}/{'approve' if approve else 'return'}"
        body = None if approve else {"reason": reason}
        plan: Json = await self.api.feedback.call("POST", path, person.token, json=body)
        return plan

    async def progress(self, person: Person, cycle_id: str, nip: str) -> list[Json]:
        reports: list[Json] = await self.api.feedback.get(
            f"{self._cycle_path(person, cycle_id)}/progress/{seg(nip)}", person.token
        )
        return sorted(reports, key=lambda r: str(r.get("reported_at", "")), reverse=True)

    async def report_progress(self, person: Person, cycle_id: str, body: Json) -> Json:
        report: Json = await self.api.feedback.call(
            "POST", f"{self._cycle_path(person, cycle_id)}/progress/{person.nip}", person.token, json=body
        )
        return report

    async def achievement(self, person: Person, cycle_id: str, nip: str) -> Json | None:
        return await self.api.feedback.find(
            f"{self._cycle_path(person, cycle_id)}/achievements/{seg(nip)}", person.token
        )

    async def report_achievement(self, person: Person, cycle_id: str, body: Json) -> Json:
        found: Json = await self.api.feedback.call(
            "PUT", f"{self._cycle_path(person, cycle_id)}/achievements/{person.nip}", person.token, json=body
        )
        return found

    # ------------------------------------------------------------------ the team and feedback

    async def team(self, person: Person, cycle_id: str, **params: Any) -> Json:
        """The whole team, every page of it (a large unit has more members than one page)."""
        path = f"{self._cycle_path(person, cycle_id)}/team"
        team: Json = await self.api.feedback.get(path, person.token, limit=TEAM_PAGE, **params)
        while team.get("next"):
            more: Json = await self.api.feedback.get(
                path, person.token, limit=TEAM_PAGE, after=team["next"], **params
            )
            team = {**more, "members": team["members"] + more["members"]}
        return team

    async def to_do(self, person: Person, cycle_id: str) -> Json:
        todo: Json = await self.api.feedback.get(f"{self._cycle_path(person, cycle_id)}/to-do", person.token)
        return todo

    async def rate(self, person: Person, cycle_id: str, nip: str, body: Json) -> Json:
        done: Json = await self.api.feedback.call(
            "PUT", f"{self._cycle_path(person, cycle_id)}/feedback/{seg(nip)}", person.token, json=body
        )
        return done

    async def pooled_feedback(self, person: Person, cycle_id: str, nip: str) -> Json:
        pooled: Json = await self.api.feedback.get(
            f"{self._cycle_path(person, cycle_id)}/feedback/{seg(nip)}", person.token
        )
        return pooled

    async def notes(self, person: Person, nip: str) -> list[Json]:
        notes: list[Json] = await self.api.feedback.get(
            f"/regions/{person.region}/employees/{seg(nip)}/notes", person.token
        )
        return notes

    async def write_note(self, person: Person, nip: str, text: str, cycle_id: str | None) -> Json:
        note: Json = await self.api.feedback.call(
            "POST",
            f"/regions/{person.region}/employees/{seg(nip)}/notes",
            person.token,
            json={"text": text, **({"cycle_id": cycle_id} if cycle_id else {})},
        )
        return note

    async def submit_citizen(self, region: str, body: Json, client: str) -> Json:
        """A citizen's form, sent on with their address, which the service's rate limit counts
        (feedback trusts the web as a proxy: docs/web.md, "Citizen form")."""
        done: Json = await self.api.feedback.call(
            "POST",
            f"/public/regions/{seg(region)}/citizen-feedback",
            None,
            json=body,
            headers={"X-Forwarded-For": client},
        )
        return done

    # ------------------------------------------------------------------ cycles (HR)

    async def open_cycle(self, person: Person, body: Json) -> Json:
        cycle: Json = await self.api.feedback.call(
            "POST", f"/regions/{person.region}/cycles", person.token, json=body
        )
        return cycle

    async def close_cycle(self, person: Person, cycle_id: str, unit_predicates: dict[str, str]) -> Json:
        cycle: Json = await self.api.feedback.call(
            "POST",
            f"{self._cycle_path(person, cycle_id)}/close",
            person.token,
            json={"unit_predicates": unit_predicates},
        )
        return cycle

    async def reopen_cycle(self, person: Person, cycle_id: str, reason: str, window_closes: str) -> Json:
        cycle: Json = await self.api.feedback.call(
            "POST",
            f"{self._cycle_path(person, cycle_id)}/reopen",
            person.token,
            json={"reason": reason, "window_closes": window_closes},
        )
        return cycle

    # ------------------------------------------------------------------ scores and careers

    async def score(self, person: Person, cycle_id: str, nip: str) -> Json | None:
        return await self.api.scoring.find(f"/cycles/{seg(cycle_id)}/scores/{seg(nip)}", person.token)

    async def score_history(self, person: Person, nip: str) -> list[Json]:
        found = await self.api.scoring.get(f"/employees/{seg(nip)}/scores", person.token)
        return list(found.get("items", found) if isinstance(found, dict) else found)

    async def distribution(self, person: Person, cycle_id: str, unit_id: str) -> Json | None:
        return await self.api.scoring.find(
            f"/cycles/{seg(cycle_id)}/units/{seg(unit_id)}/distribution", person.token
        )

    async def calibrate(self, person: Person, cycle_id: str, nip: str, body: Json) -> Json:
        found: Json = await self.api.scoring.call(
            "POST", f"/cycles/{seg(cycle_id)}/scores/{seg(nip)}/calibration", person.token, json=body
        )
        return found

    async def recommendations(self, person: Person, **params: Any) -> list[Json]:
        found = await self.api.career.get("/recommendations", person.token, **params)
        return list(found.get("items", []) if isinstance(found, dict) else found)

    async def decide_recommendation(self, person: Person, recommendation_id: str, body: Json) -> Json:
        found: Json = await self.api.career.call(
            "POST", f"/recommendations/{seg(recommendation_id)}/decision", person.token, json=body
        )
        return found

    async def record_potential(self, person: Person, nip: str, cycle_id: str, body: Json) -> Any:
        return await self.api.career.call(
            "PUT", f"/employees/{seg(nip)}/potentials/{seg(cycle_id)}", person.token, json=body
        )

    async def talent_grid(
        self, person: Person, cycle_id: str, people: list[Json]
    ) -> list[list[tuple[int, list[Json]]]]:
        """The 9-box of ``people`` in ``cycle_id``: career's placements laid on the grid."""
        boxes: dict[int, list[Json]] = {n: [] for row in NINE_BOX_ROWS for n in row}
        names = {p["nip"]: p for p in people}
        # One read per member (career's (nip, _id) index): the work follows the unit, not the region.
        gate = asyncio.Semaphore(8)

        async def placements(nip: str) -> list[Json]:
            async with gate:
                return await self.recommendations(person, nip=nip, cycle_id=cycle_id, kind="talent_box")

        for recs in await asyncio.gather(*(placements(nip) for nip in names)):
            for rec in recs:
                box = (rec.get("details") or {}).get("box")
                if rec.get("status") != "superseded" and rec.get("nip") in names and box in boxes:
                    boxes[box].append(names[rec["nip"]])
        return [[(n, boxes[n]) for n in row] for row in NINE_BOX_ROWS]

    # ------------------------------------------------------------------ the inbox

    async def inbox(self, person: Person, owner: str) -> list[Json]:
        found = await self.api.notify.get(f"/inbox/{seg(owner)}/messages", person.token)
        return list(found.get("items", []) if isinstance(found, dict) else found)

    async def mark_read(self, person: Person, owner: str, notification_id: str) -> None:
        await self.api.notify.call(
            "POST", f"/inbox/{seg(owner)}/messages/{seg(notification_id)}/read", person.token
        )

    # ------------------------------------------------------------------ HR: employees, audit, exports

    async def employees(self, person: Person, after: str | None, limit: int) -> list[Json]:
        """A page of the employees the person may see, by NIP; the next starts ``after`` the last."""
        found: list[Json] = await self.api.feedback.get(
            f"/regions/{person.region}/employees", person.token, after=after, limit=limit
        )
        return found

    async def import_employees(self, person: Person, csv: bytes) -> Json:
        """Feedback's report of a CSV import: how many rows landed, and each refused row's reasons."""
        report: Json = await self.api.feedback.call(
            "POST",
            f"/regions/{person.region}/employee-imports",
            person.token,
            content=csv,
            headers={"Content-Type": "text/csv; charset=utf-8"},
        )
        return report

    async def audit(self, person: Person, before: str | None, limit: int) -> list[Json]:
        """A page of the region's audit log, newest first; the next is ``before`` the last page key."""
        found: list[Json] = await self.api.feedback.get(
            f"/regions/{person.region}/audit", person.token, before=before, limit=limit
        )
        return found

    async def cycle_scores(self, person: Person, cycle_id: str, after: str | None, limit: int) -> Json:
        """A page of the cycle's scores in NIP order: ``items``, and ``next`` (None on the last)."""
        page: Json = await self.api.scoring.get(
            f"/cycles/{seg(cycle_id)}/scores", person.token, after=after, limit=limit
        )
        return page

    async def evaluation(self, person: Person, cycle_id: str, nip: str) -> Json:
        """What the evaluation document (SKP and its evaluation) shows of ``nip`` in ``cycle_id``.

        The score is read first: scoring answers for every region, so a person of another one is
        refused there (403) rather than told the employee does not exist here. The appraising
        official is the supervisor on the employee's record; a person who may not read that record
        (an employee reading their supervisor's) gets the NIP without the name.
        """
        score = await self.score(person, cycle_id, nip)
        employee = await self.employee(person, nip)
        cycle = await self.cycle(person, cycle_id)
        units = {u["unit_id"]: u["name"] for u in await self.units(person)}
        plan = await self.plan(person, cycle_id, nip)
        achievement = await self.achievement(person, cycle_id, nip)
        official: Json | None = None
        if boss := employee.get("supervisor_nip"):
            try:
                official = await self.employee(person, boss)
            except ApiProblem as problem:
                if problem.status not in (403, 404):
                    raise
                official = {"nip": boss}
        realised = {r["indicator_id"]: r for r in (achievement or {}).get("realisations", [])}
        return {
            "region": person.region,
            "cycle": cycle,
            "employee": {**employee, "unit_name": units.get(employee.get("unit_id", ""), "")},
            "official": official and {**official, "unit_name": units.get(official.get("unit_id", ""), "")},
            "plan": plan,
            "realised": realised,
            "achievement": achievement,
            "score": score,
        }
