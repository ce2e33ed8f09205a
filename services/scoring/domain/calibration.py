"""What readers see of the appraising official's decisions: the audit, and the unit's curve now.

Pure: the audit is read from the stored final document's ``audit`` entries; the unit's curve from
:class:`UnitMember` values that ``mapping.unit_member`` makes of the stored scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.scoring.domain.curve import CurveEntry, check_curve
from services.scoring.domain.rules import CURVE, OrganisationPredicate
from shared.events.scoring import Predicate

OFFICIAL_ROLES = {
    "supervisor": "appraising official (supervisor)",
    "hr_admin": "HR, for the appraising official",
}


CLEARED_REASON = (
    "the score was finalised again from changed inputs (the cycle reopened, or an input that reached "
    "scoring after the close): the earlier decision was made on other evidence, so the computed "
    "predicate stands until the official decides again"
)


def calibration_cleared(was: str, now: str) -> dict[str, Any]:
    """The audit entry of a calibration that a new final score replaced (see docs/scoring.md)."""
    return {
        "decision": "cleared",
        "from": was,
        "to": now,
        "by": "scoring",
        "role": None,
        "reason": CLEARED_REASON,
        "at": datetime.now(UTC),
    }


def calibrations_for(doc: Mapping[str, Any], *, full: bool) -> list[dict[str, Any]]:
    """The calibration audit of one final score, oldest first.

    ``full`` (HR and admins) shows who decided; the employee and their supervisor see the decision,
    the predicates, the reason and the official's role, not the official's account.
    """
    out = []
    for entry in doc.get("audit", []):
        shown = {
            "decision": entry["decision"],
            "from": entry["from"],
            "to": entry["to"],
            "reason": entry["reason"],
            "at": entry.get("at"),
            "official_role": _role_of(entry),
        }
        if full:
            shown["by"] = entry.get("by")
        out.append(shown)
    return out


def _role_of(entry: Mapping[str, Any]) -> str:
    if entry["decision"] == "cleared":
        return "scoring service"
    role = entry.get("role")
    return OFFICIAL_ROLES.get(role, role) if role else "appraising official"


@dataclass(frozen=True, slots=True)
class UnitMember:
    """One employee's current score in a unit, as the distribution view needs it."""

    entry: CurveEntry
    status: str
    calibrated: bool = False


def distribution_now(
    unit_id: str, unit_predicate: str | None, members: Sequence[UnitMember]
) -> dict[str, Any]:
    """A unit's predicates and curve check as they stand, calibrations included.

    The check stored at the close reflects the predicates before any calibration; an override that
    brings the unit within its curve must clear the violation, so the check runs again here over
    the current predicates. Held scores (inputs missing) are listed apart and are not in the check
    or the counts: their predicate stands for missing input, not for performance.
    """
    held = sorted(m.entry.nip for m in members if m.status == "held")
    counted = [m for m in members if m.status != "held"]
    counts = Counter(m.entry.predicate.value for m in counted)
    final = all(m.status == "final" for m in counted)
    violations: list[dict[str, Any]] = []
    proposed: dict[str, str] = {}
    if unit_predicate and final and counted:
        check = check_curve(unit_id, unit_predicate, [m.entry for m in counted])
        violations = [v.model_dump() for v in check.violations]
        proposed = {nip: p.value for nip, p in sorted(check.proposed.items())}
    allowed = []
    if unit_predicate:
        for rule in CURVE[OrganisationPredicate.parse(unit_predicate)]:
            count = sum(counts.get(p.value, 0) for p in rule.predicates)
            allowed.append(
                {
                    "rule": rule.text,
                    "kind": rule.kind,
                    "predicates": sorted(p.value for p in rule.predicates),
                    "value": rule.value,
                    "count": count,
                    "holds": rule.holds(count, len(counted)),
                }
            )
    return {
        "employees": len(members),
        "final": final and bool(counted),
        "allowed": allowed,
        "predicates": {p.value: counts.get(p.value, 0) for p in Predicate},
        "unit_predicate": unit_predicate,
        "violations": violations,
        "proposed": proposed,
        "calibrated": sorted(m.entry.nip for m in counted if m.calibrated),
        "held": held,
    }
