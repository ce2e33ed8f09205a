"""The feedback service's collections."""

from __future__ import annotations

UNITS = "units"
TEAMS = "teams"
EMPLOYEES = "employees"
CYCLES = "cycles"
PLANS = "plans"
PROGRESS = "progress"
ACHIEVEMENTS = "achievements"
SUBMISSIONS = "submissions"
NOTES = "notes"
AUDIT = "audit"
RATE_LIMITS = "rate_limits"
MIGRATIONS = "migrations"

#: Collections whose documents carry an outbox; the relay sweeps them after a crash.
OUTBOX_COLLECTIONS = (EMPLOYEES, CYCLES, PLANS, PROGRESS, ACHIEVEMENTS, SUBMISSIONS, NOTES)
#: Collections whose documents every request checks (who is whose supervisor, is the cycle open),
#: kept for a few seconds (see :meth:`~services.feedback.store.FeedbackStore.employee`).
REFERENCE_COLLECTIONS = frozenset({EMPLOYEES, CYCLES})
