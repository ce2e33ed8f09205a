"""The web's pages: thin controllers that read and write through the services' APIs and render."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from services.web.pages.admin import (
    EmployeeController,
    ExportController,
    RecommendationController,
    audit_log,
)
from services.web.pages.auth import AuthController, choose_language
from services.web.pages.citizen import CitizenController
from services.web.pages.employee import ProgressController, home
from services.web.pages.hr import CycleController, UnitController
from services.web.pages.plan import PlanController
from services.web.pages.printable import evaluation_document
from services.web.pages.staff import (
    AchievementController,
    InboxController,
    RateController,
    ToDoController,
    my_score,
)
from services.web.pages.team import TeamController


def route_handlers() -> list[ControllerRouterHandler]:
    return [
        AuthController,
        choose_language,
        home,
        PlanController,
        ProgressController,
        AchievementController,
        ToDoController,
        RateController,
        my_score,
        InboxController,
        TeamController,
        CycleController,
        UnitController,
        ExportController,
        EmployeeController,
        RecommendationController,
        audit_log,
        evaluation_document,
        CitizenController,
    ]


__all__ = ["route_handlers"]
