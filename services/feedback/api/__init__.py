"""The HTTP API of the feedback service: thin Litestar controllers, one per resource."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from services.feedback.api.cycle import CycleController, OpenCycleController
from services.feedback.api.organisation import (
    EmployeeController,
    TeamController,
    UnitController,
    import_controller,
)
from services.feedback.api.plan import AchievementController, PlanController, ProgressController
from services.feedback.api.rating import (
    AuditController,
    CitizenFeedbackController,
    FeedbackController,
    NoteController,
    RubricController,
)
from services.feedback.api.team import TeamProgressController, ToDoController


def route_handlers(bulk_max_body_bytes: int) -> list[ControllerRouterHandler]:
    """Every controller of the service; the bulk import gets its own body limit."""
    return [
        UnitController,
        TeamController,
        EmployeeController,
        import_controller(bulk_max_body_bytes),
        CycleController,
        OpenCycleController,
        PlanController,
        ProgressController,
        AchievementController,
        TeamProgressController,
        ToDoController,
        FeedbackController,
        CitizenFeedbackController,
        RubricController,
        NoteController,
        AuditController,
    ]


__all__ = ["route_handlers"]
