"""Use cases of the scoring service: :class:`ScoringService`, one object built by the composition
root and given to the handlers, the worker and the controllers.

Its use cases are grouped by area, one module each: inputs and provisional scores
(:mod:`.inputs`), closing a cycle (:mod:`.finalisation`), officials' decisions (:mod:`.decisions`)
and reads (:mod:`.reads`); the class joins them. The store (whose outbox publishes the events a
write stages), the relay, the rubric registry and the national rules are the service's own
(:class:`~services.scoring.service.common.UseCases`). Who may see and decide what is
:mod:`services.scoring.access`; no use case touches the database but through the store.
"""

from __future__ import annotations

from services.scoring.service.decisions import DecisionUseCases
from services.scoring.service.finalisation import FinalisationUseCases
from services.scoring.service.inputs import InputUseCases
from services.scoring.service.reads import ReadUseCases


class ScoringService(InputUseCases, FinalisationUseCases, DecisionUseCases, ReadUseCases):
    """The scoring service's use cases: ``ScoringService(store, relay, registry, rules)``."""


__all__ = ["ScoringService"]
