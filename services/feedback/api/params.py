"""Path and query parameters and the service dependency the controllers share."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import Parameter, SkipValidation

from services.feedback.domain import ID_PATTERN
from services.feedback.service import FeedbackService
from shared.auth import Principal
from shared.events.base import NIP_PATTERN

Caller = Request[Principal, Any, Any]
Service = NamedDependency[SkipValidation[FeedbackService]]
"""The service's use cases, built by the composition root (``app.py``)."""

RegionId = Annotated[str, Parameter(title="Region id", pattern=ID_PATTERN)]
UnitId = Annotated[str, Parameter(title="Unit (dinas) id", pattern=ID_PATTERN)]
TeamId = Annotated[str, Parameter(title="Team id", pattern=ID_PATTERN)]
CycleId = Annotated[str, Parameter(title="Cycle id", pattern=ID_PATTERN)]
Nip = Annotated[str, Parameter(title="NIP (18 digits)", pattern=NIP_PATTERN)]
After = Annotated[
    str | None,
    Parameter(
        title="NIP of the last row of the page before",
        description="The next page starts after it; omit it for the first page.",
        pattern=NIP_PATTERN,
    ),
]
AuditBefore = Annotated[
    str | None,
    Parameter(
        title="Page key of the last entry of the page before",
        description="The next page holds the entries older than it; omit it for the newest.",
        pattern=r"^[0-9]{13}-[0-9a-f]{32}$",
    ),
]
Limit = Annotated[int, Parameter(title="Most rows to return", ge=1, le=1000)]
