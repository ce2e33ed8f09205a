"""Use cases of the feedback service: :class:`FeedbackService`, one object built by the
composition root and given to the controllers.

Its use cases are grouped by area, one module each (organisation, cycles, plans and reports,
ratings, the web's team views); the class joins them. Each takes the caller and what the request
names; the store (whose outbox publishes the events a write stages), the rubric registry, the
submission key and the close policy are the service's own. Who may see and do what is decided by
:mod:`services.feedback.access`; no use case touches the database but through the store.
"""

from __future__ import annotations

from services.feedback.service.cycle import CycleUseCases
from services.feedback.service.organisation import OrganisationUseCases
from services.feedback.service.plan import PlanUseCases
from services.feedback.service.rating import RatingUseCases
from services.feedback.service.team import TeamUseCases


class FeedbackService(OrganisationUseCases, CycleUseCases, PlanUseCases, RatingUseCases, TeamUseCases):
    """The feedback service's use cases: ``FeedbackService(store, registry, submission_key=...,
    close_policy=...)`` (:class:`~services.feedback.service.common.UseCases`)."""


__all__ = ["FeedbackService"]
