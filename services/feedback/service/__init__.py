"""Use cases of the feedback service. Each takes the store, the outbox relay and the rubric
registry it needs as arguments, plus the caller; none touches the database directly."""

from __future__ import annotations

from services.feedback.service.cycle import close_cycle, get_cycle, list_cycles, open_cycle, reopen_cycle
from services.feedback.service.organisation import (
    get_employee,
    import_employees,
    list_employees,
    list_teams,
    list_units,
    put_employee,
    put_team,
    put_unit,
    update_employee,
)
from services.feedback.service.plan import (
    decide_plan,
    get_achievement,
    get_plan,
    list_progress,
    report_achievement,
    report_progress,
    submit_plan,
)
from services.feedback.service.rating import (
    feedback_summary,
    list_audit,
    list_notes,
    submit_citizen_feedback,
    submit_feedback,
    write_note,
)

__all__ = [
    "close_cycle",
    "decide_plan",
    "feedback_summary",
    "get_achievement",
    "get_cycle",
    "get_employee",
    "get_plan",
    "import_employees",
    "list_audit",
    "list_cycles",
    "list_employees",
    "list_notes",
    "list_progress",
    "list_teams",
    "list_units",
    "open_cycle",
    "put_employee",
    "put_team",
    "put_unit",
    "reopen_cycle",
    "report_achievement",
    "report_progress",
    "submit_citizen_feedback",
    "submit_feedback",
    "submit_plan",
    "update_employee",
    "write_note",
]
