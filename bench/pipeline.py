"""Sustained throughput of scoring, then career, then notify, as separate processes.

One run: fresh topics (``bench.common.PARTITIONS``, 12) and databases; the services start as processes; the
directory (employees, cycles opened) is fed and consumed first, unmeasured; then every input
event of the generated cycle is produced as fast as one producer goes, and the clock runs from
the first produce until

- **scoring**: the last ScoreComputed record is on the scores topic (its broker timestamp);
- **career**: career's group has committed the whole scores topic and its last recommendation
  record is out;
- **notify**: notify's group has committed the whole scores and recommendations topics (and its
  last delivery report is out, if any).

events/s of a stage = input events / seconds until that stage is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    LOGS,
    CpuMeter,
    Offsets,
    Service,
    Tracker,
    cleanup,
    create_topics,
    isolated,
    produce,
    say,
    start,
)
from bench.profile import record
from shared.events.career import RECOMMENDATIONS_TOPIC
from shared.events.feedback import CYCLES_TOPIC, EMPLOYEES_TOPIC, INPUTS_TOPIC
from shared.events.notify import DELIVERIES_TOPIC
from shared.events.scoring import SCORES_TOPIC
from tools.workload import COMMENTED, Cycle

PORT = {"scoring": 18582, "career": 18583, "notify": 18584}


@dataclass
class PipelineRun:
    events: int
    mean_bytes: float
    scoring_s: float = float("nan")
    career_s: float = float("nan")
    notify_s: float = float("nan")
    complete: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)
    consumed: dict[str, tuple[int, int]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def rate(self, seconds: float) -> float:
        return self.events / seconds if seconds == seconds and seconds > 0 else float("nan")


async def run_once(
    employees: int,
    *,
    scoring_instances: int = 1,
    downstream: bool = True,
    timeout: float = 240,
    profile: Path | None = None,
    profile_seconds: int = 30,
) -> PipelineRun:
    settings = isolated("pipe")
    work = Cycle(employees, profile=COMMENTED, correlation="bench")
    directory, inputs = work.directory(), work.inputs()
    result = PipelineRun(len(inputs), sum(len(e.to_bytes()) for e in inputs) / len(inputs))
    await create_topics(settings)
    wanted = [("scoring", PORT["scoring"] + 10 * k) for k in range(scoring_instances)]
    if downstream:
        wanted += [("career", PORT["career"]), ("notify", PORT["notify"])]
    procs: list[Service] = []
    sampler: subprocess.Popen[bytes] | None = None
    try:
        procs = await start(wanted, settings)
        directory_topics = {"scoring": [EMPLOYEES_TOPIC, CYCLES_TOPIC]}
        if downstream:
            directory_topics |= {"career": [EMPLOYEES_TOPIC, CYCLES_TOPIC], "notify": [EMPLOYEES_TOPIC]}
        async with (
            Offsets(settings) as offsets,
            Tracker(settings, [SCORES_TOPIC, RECOMMENDATIONS_TOPIC, DELIVERIES_TOPIC]) as tracker,
        ):
            await produce(settings, directory)
            if await offsets.wait_caught_up(directory_topics, timeout=120) is None:
                raise RuntimeError("the directory was not consumed in 120 s")
            if profile is not None:
                sampler = record(procs[0].pid, profile_seconds, profile)
            meter = CpuMeter(procs)
            started = time.time()
            await produce(settings, inputs)
            done: dict[str, float] = {}
            deadline = time.monotonic() + timeout
            report = time.monotonic() + 10
            while time.monotonic() < deadline:
                now = time.time()
                if time.monotonic() > report:
                    report += 10
                    say(f"  {now - started:.0f} s: stages done {sorted(done)}, records out {tracker.count}")
                ok = await offsets.caught_up("scoring", [INPUTS_TOPIC])
                stages = [("scoring", ok)]
                if downstream:
                    ok = ok and await offsets.caught_up("career", [SCORES_TOPIC])
                    stages.append(("career", ok))
                    ok = ok and await offsets.caught_up("notify", [SCORES_TOPIC, RECOMMENDATIONS_TOPIC])
                    stages.append(("notify", ok))
                for stage, reached in stages:
                    if reached:
                        done.setdefault(stage, now)
                    else:
                        done.pop(stage, None)
                if ok and now - tracker.last_seen >= 2.0:
                    result.complete = True
                    break
                for proc in procs:
                    proc.sample_peak()
                await asyncio.sleep(0.25)
            result.counts = dict(tracker.count)
            result.cpu = meter.stop()
            result.elapsed_s = time.time() - started
            result.consumed["scoring"] = await offsets.consumed("scoring", [INPUTS_TOPIC])
            if downstream:
                result.consumed["career"] = await offsets.consumed("career", [SCORES_TOPIC])
                result.consumed["notify"] = await offsets.consumed(
                    "notify", [SCORES_TOPIC, RECOMMENDATIONS_TOPIC]
                )
            last = tracker.last_ts
            if "scoring" in done:
                result.scoring_s = last.get(SCORES_TOPIC, done["scoring"]) - started
            if "career" in done:
                career_end = max(done["career"], last.get(RECOMMENDATIONS_TOPIC, 0.0))
                result.career_s = career_end - started
            if "notify" in done:
                result.notify_s = max(done["notify"], last.get(DELIVERIES_TOPIC, 0.0)) - started
    finally:
        if sampler is not None:
            if sampler.poll() is None:
                sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            with contextlib.suppress(subprocess.TimeoutExpired):
                sampler.wait(timeout=30)
        peaks: Counter[str] = Counter()
        for proc in procs:
            proc.sample_peak()
            peaks[proc.name] = max(peaks[proc.name], proc.peak_mb)
            proc.stop()
        result.peaks = dict(peaks)
        await cleanup([settings.db_prefix])
    say(
        f"pipeline x{scoring_instances}{'' if downstream else ' (scoring only)'}: {result.events} events, "
        f"scoring {result.scoring_s:.1f} s, career {result.career_s:.1f} s, notify {result.notify_s:.1f} s, "
        f"counts {result.counts}, peaks {', '.join(f'{k} {v:.0f} MB' for k, v in result.peaks.items())}"
        f"{'' if result.complete else ' (INCOMPLETE)'}"
    )
    return result


async def _main() -> None:
    import sys

    employees = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    instances = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    downstream = (sys.argv[3] != "0") if len(sys.argv) > 3 else True
    LOGS.mkdir(parents=True, exist_ok=True)
    await run_once(employees, scoring_instances=instances, downstream=downstream)


if __name__ == "__main__":
    from bench.common import on_sigterm, stop_all

    on_sigterm()
    try:
        asyncio.run(_main())
    finally:
        stop_all()
