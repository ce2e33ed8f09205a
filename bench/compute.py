"""Benchmark (not a test): the CPU cost of computing scores alone, without any I/O.

``python -m bench.compute [N]``: the inputs of N employees of ``tools.workload.stored.stored_inputs``
(the finalisation benchmark's cycle) are turned into domain inputs and scored with the built-in
Marelan rubric, with rater statistics over the whole cycle, in each of two processes at once (the
machine's two cores). Prints the CPU milliseconds per employee and the CPU seconds of the slower
process: the part of a close that is scoring's own arithmetic, against which the finalisation
figure (database and Kafka included) can be read. These figures were asserted as timings in the
test suite before; they are measurements, so they live here.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor

from services.scoring.domain import DEFAULT_RULES, RaterStats, compute_score
from services.scoring.mapping import feedback_of, to_cycle_inputs
from shared.plugins.manager import build_registry
from tools.workload.stored import stored_inputs


def score_share(count: int) -> tuple[int, float]:
    """Score ``count`` employees in this process; CPU seconds of the scoring alone."""
    registry = build_registry()
    spec = registry.for_region("marelan")
    pairs = [pair for chunk in stored_inputs(count) for pair in chunk]
    stats = RaterStats()
    for pair in pairs:
        stats.observe_complete(feedback_of(pair["inputs"]))
    inputs = [to_cycle_inputs(pair["inputs"], pair["employee"]) for pair in pairs]
    started = time.process_time()
    for item in inputs:
        compute_score(item, spec, registry.score, stats, DEFAULT_RULES, revision=1)
    return len(inputs), time.process_time() - started


def run(employees: int = 100_000) -> tuple[float, float]:
    """(CPU ms per employee, CPU s of the slower of two processes scoring half each)."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        shares = list(pool.map(score_share, [employees // 2, employees - employees // 2]))
    count = sum(n for n, _ in shares)
    return sum(s for _, s in shares) / count * 1000, max(s for _, s in shares)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    per_employee_ms, slowest_s = run(n)
    print(
        f"compute_score: {per_employee_ms:.3f} ms CPU per employee; {n:,} on 2 processes: {slowest_s:.1f} s"
    )
