"""Synthetic appraisal cycles for the benchmarks and the tests, deterministic for a seed.

The one generator of what the feedback service would publish for a cycle, used by ``make bench``
(bench/), the scale-out test (tests/scale), the fault tests (tests/faults) and the scoring
service flow (tests/scoring/flow.py). A :class:`Cycle` is ``employees`` employees spread over
``regions`` in turn, each region's in units of ``unit_size`` whose first member heads the unit;
per employee an approved plan, an achievement report and feedback from self, three peers of the
unit and the appraising official (the unit head, or for a head the HR officer who records the
assessment of the official one level up, docs/feedback.md), valued by a :class:`Profile`; per
region the cycle opened and closed. :func:`with_poison` makes records of the inputs with
undecodable and invalid ones among them. :mod:`tools.workload.stored` gives scoring's stored
documents of a cycle of 100,000.

A Cycle draws ids and values from two generators seeded by ``seed`` as it goes: the same
parameters and the same calls in the same order give the same events, ids included. A second,
equal run needs a new Cycle.

In tools/ because bench/ and tests/ both use it, and tools/ is above the services and the kernel
in the import layers (pyproject.toml): shared/ and services/ cannot import it, and it is
type-checked with them.
"""

from __future__ import annotations

from tools.workload.cycle import (
    AT,
    COMMENT,
    COMMENTED,
    HR_OFFICER,
    REGIONS,
    STEADY,
    UNIT_SIZE,
    Cycle,
    Profile,
    cycle_id,
    nip,
    unit_of,
)
from tools.workload.poison import POISON_KINDS, Record, with_poison

__all__ = [
    "AT",
    "COMMENT",
    "COMMENTED",
    "HR_OFFICER",
    "POISON_KINDS",
    "REGIONS",
    "STEADY",
    "UNIT_SIZE",
    "Cycle",
    "Profile",
    "Record",
    "cycle_id",
    "nip",
    "unit_of",
    "with_poison",
]
