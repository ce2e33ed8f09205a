"""bench/results.md and bench/results.png from the figures of one ``python -m bench``."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import history
from bench.common import PARTITIONS, Figure
from bench.feedback_api import HEADER as API_HEADER
from bench.feedback_api import ApiRun
from bench.finalize import FinalizeRun
from bench.history import HistoryRun
from bench.latency import LatencyRun, pct
from bench.pipeline import PipelineRun
from bench.profile import Profile

NATIONAL = 4_300_000


@dataclass
class ApiFigures:
    """The runs of one API benchmark at one concurrency."""

    rate: Figure = field(default_factory=Figure)
    p50: Figure = field(default_factory=Figure)
    p99: Figure = field(default_factory=Figure)
    service_cpu_ms: Figure = field(default_factory=Figure)

    def add(self, run: ApiRun) -> None:
        n = len(run.latencies)
        self.rate.add(n / run.elapsed)
        self.p50.add(quantile(run.latencies, 50) * 1000)
        self.p99.add(quantile(run.latencies, 99) * 1000)
        self.service_cpu_ms.add(run.service_cpu_s / n * 1000)


@dataclass
class Results:
    runs: int
    started: str
    host: str
    finished: str = ""
    load_before: str = ""
    load_after: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    producer_perf: Figure = field(default_factory=Figure)
    consumer_perf: Figure = field(default_factory=Figure)
    bare: Figure = field(default_factory=Figure)
    json_bytes: float = 0.0
    kafka_records: tuple[int, int] = (0, 0)
    pipeline_employees: int = 0
    pipeline: list[PipelineRun] = field(default_factory=list)
    pipeline_profile: Profile | None = None
    scale_employees: int = 0
    scale: dict[int, list[PipelineRun]] = field(default_factory=dict)
    latency: list[LatencyRun] = field(default_factory=list)
    api: dict[tuple[str, int], ApiFigures] = field(default_factory=dict)  # (bench, concurrency)
    api_rows: list[str] = field(default_factory=list)  # one bench.feedback_api.row per run
    api_submissions: int = 0
    finalize_employees: int = 0
    finalize: FinalizeRun | None = None
    history: HistoryRun | None = None


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else math.nan


def fig(values: list[float]) -> Figure:
    return Figure([v for v in values if v == v])


def fmt(x: float, digits: int = 0) -> str:
    return "n/a" if x != x else f"{x:,.{digits}f}"


def row(name: str, f: Figure, unit: str, target: str = "", ok: bool | None = None, digits: int = 0) -> str:
    verdict = "" if ok is None or not f.values else ("met" if ok else "**missed**")
    return (
        f"| {name} | {fmt(f.median, digits)} | {fmt(f.low, digits)} | {fmt(f.high, digits)} | {unit} "
        f"| {f.runs} | {target} | {verdict} |"
    )


def add_peak(add: Callable[[str], None], runs: list[LatencyRun]) -> None:
    """The whole system at national peak (bench/latency.py): issue #17's targets."""
    if not runs:
        return
    rate, seconds = runs[0].rate, runs[0].seconds
    at = f"{rate:.0f}/s for {seconds:.0f} s"
    taken = fig([100 * x.accepted / x.submitted if x.submitted else math.nan for x in runs])
    add(row(f"peak {at}: submissions answered and accepted", taken, "%", "100 %", taken.low >= 100, 1))
    add(row(f"peak {at}: achieved", fig([x.achieved_rate for x in runs]), "submissions/s"))
    add(
        row(
            f"peak {at}: submit (HTTP) -> score, p50",
            fig([pct(x.submit_to_score_ms, 50) for x in runs]),
            "ms",
        )
    )
    p99 = fig([pct(x.submit_to_score_ms, 99) for x in runs])
    add(row(f"peak {at}: submit (HTTP) -> score, p99", p99, "ms", "<= 1,000 ms", p99.median <= 1000))
    told = fig([pct(x.submit_to_notified_ms, 99) for x in runs])
    add(
        row(
            f"peak {at}: submit (HTTP) -> its notification (webhook), p99",
            told,
            "ms",
            "<= 2,000 ms",
            told.median <= 2000,
        )
    )
    add(
        row(
            f"peak {at}: inbox messages due (none for provisional scores)",
            fig([len(x.submit_to_inbox_ms) for x in runs]),
            "messages",
        )
    )
    for stage in ("career", "notify"):
        behind = fig([lag_behind(x, stage) for x in runs])
        add(row(f"peak {at}: {stage} done after scoring", behind, "s", "<= 1 s", behind.median <= 1, 1))
    for stage in ("scoring", "career", "notify"):
        add(
            row(
                f"peak {at}: {stage} highest lag",
                fig([x.max_lag.get(stage, math.nan) for x in runs]),
                "records",
            )
        )
    per = fig([cpu_per_submission(x) for x in runs])
    add(row(f"peak {at}: CPU of all processes per submission", per, "ms", digits=1))
    cores = os.cpu_count() or 1
    bound = Figure([cores * 1000 / v for v in per.values])
    add(row(f"peak {at}: rate {cores} cores can carry at that cost (the floor)", bound, "submissions/s"))


def lag_behind(run: LatencyRun, stage: str) -> float:
    """Seconds a stage finished after scoring, once the last answer was in (nan: not done)."""
    mine, scoring = run.drain_s.get(stage), run.drain_s.get("scoring")
    return math.nan if mine is None or scoring is None else max(0.0, mine - scoring)


def cpu_per_submission(run: LatencyRun) -> float:
    """CPU milliseconds of the services, Kafka and FerretDB per accepted submission."""
    used = sum(v for k, v in run.cpu.items() if k not in ("whole machine", "wall"))
    return used * 1000 / run.accepted if run.accepted else math.nan


def add_api_ratios(add: Callable[[str], None], r: Results) -> None:
    """The feedback API against its floor (bench.api_floor), driven the same way in the same run."""
    for (bench, concurrency), api in sorted(r.api.items()):
        floor = r.api.get(("floor", concurrency))
        if bench != "service" or floor is None or not api.rate.values or not floor.rate.values:
            continue
        share = Figure([api.rate.median / floor.rate.median])
        label = f"feedback API / its floor, {concurrency} concurrent"
        add(row(label, share, "x", ">= 0.80", share.median >= 0.8, 2))


def write(r: Results, md: Path, png: Path) -> None:
    lines: list[str] = []
    add = lines.append
    add("# Kinerja benchmark results\n")
    add(
        f"Generated by `make bench` (`python -m bench`) on {r.started}-{r.finished.split(' ')[-1]}, "
        f"host `{r.host}`, {os.cpu_count()} cores, Kafka 4.1.1 (single KRaft node, 512 MB heap) and "
        f"FerretDB 1.24 (SQLite) on 127.0.0.1, everything on this one machine. Each figure is the "
        f"median of the runs counted in the `runs` column, with min and max. Load average before / "
        f"after: {r.load_before} / {r.load_after}. See docs/benchmarks.md for what each figure means.\n"
    )
    if r.errors:
        add("**Measurements that failed or timed out:**\n")
        for name, err in r.errors.items():
            add(f"- {name}: `{err}`")
        add("")

    pipe_scoring = fig([p.rate(p.scoring_s) for p in r.pipeline])
    pipe_career = fig([p.rate(p.career_s) for p in r.pipeline])
    pipe_notify = fig([p.rate(p.notify_s) for p in r.pipeline])
    ceiling = r.bare.median
    share = fig([v * 100 / ceiling for v in pipe_scoring.values]) if ceiling == ceiling else Figure()
    submit = fig([pct(x.submit_to_score_ms, 50) for x in r.latency])
    submit99 = fig([pct(x.submit_to_score_ms, 99) for x in r.latency])
    pub = fig([pct(x.publish_to_score_ms, 50) for x in r.latency])
    pub99 = fig([pct(x.publish_to_score_ms, 99) for x in r.latency])
    http99 = fig([pct(x.http_ms, 99) for x in r.latency])
    one = fig([p.rate(p.scoring_s) for p in r.scale.get(1, [])])
    two = fig([p.rate(p.scoring_s) for p in r.scale.get(2, [])])
    fin = r.finalize
    fin_s = fig(fin.seconds if fin else [])
    fin_rate = Figure()
    if fin:
        # Employees finalised per second of each close, finished or cut off by the bound.
        fin_rate = fig([n / s for n, s in zip(fin.published, fin.elapsed, strict=False) if s > 0])

    add("## Results\n")
    add("| measurement | median | min | max | unit | runs | target | |")
    add("|---|---:|---:|---:|---|---:|---|---|")
    add(row("Kafka ProducerPerformance, 1 KB records, acks=all", r.producer_perf, "records/s"))
    add(row("Kafka ConsumerPerformance (fetch rate)", r.consumer_perf, "records/s"))
    add(row(f"bare aiokafka consumer + json.loads, {r.json_bytes:.0f} B events", r.bare, "events/s"))
    add(
        row(
            "pipeline: inputs through scoring",
            pipe_scoring,
            "events/s",
            ">= 2,000",
            pipe_scoring.median >= 2000,
        )
    )
    add(row("pipeline: ... then career", pipe_career, "events/s"))
    add(row("pipeline: ... then notify", pipe_notify, "events/s"))
    add(row("pipeline (scoring) / bare-consumer ceiling", share, "%", ">= 25 %", share.median >= 25, 2))
    add_peak(add, r.latency)
    add(row("latency FeedbackSubmitted published -> score, p50", pub, "ms"))
    add(row("latency FeedbackSubmitted published -> score, p99", pub99, "ms"))
    add(row("feedback HTTP response p99 at 200/s", http99, "ms"))
    for (bench, concurrency), api in sorted(r.api.items(), key=lambda kv: (kv[0][0] != "service", kv[0][1])):
        if bench == "floor":
            label = f"floor (bench.api_floor), {concurrency} concurrent"
            add(row(f"feedback API {label}", api.rate, "submissions/s"))
            add(row(f"feedback API {label}, p99", api.p99, "ms"))
            continue
        label = f"({r.api_submissions}, {concurrency} concurrent)"
        add(
            row(
                f"feedback API submissions {label}",
                api.rate,
                "submissions/s",
                ">= 1,000",
                api.rate.median >= 1000,
            )
        )
        add(row(f"feedback API p50 {label}", api.p50, "ms"))
        add(row(f"feedback API p99 {label}", api.p99, "ms", "< 100 ms", api.p99.median < 100))
        add(row(f"feedback service CPU per submission {label}", api.service_cpu_ms, "ms", digits=2))
    add_api_ratios(add, r)
    add(row(f"scoring alone, 1 instance ({PARTITIONS} partitions)", one, "events/s"))
    add(row("scoring alone, 2 instances, same group", two, "events/s"))
    if one.values and two.values:
        factor = two.median / one.median
        add(row("scale-out factor 2 / 1 instances", Figure([factor]), "x", ">= 1.6", factor >= 1.6, 2))
    fin_target = f"< 20 s for {r.finalize_employees:,}"
    add(
        row(
            f"finalize {r.finalize_employees:,} employees (CycleClosed -> all ScoreFinalized)",
            fin_s,
            "s",
            fin_target,
            bool(fin_s.values) and fin_s.median < 20,
            1,
        )
    )
    add(row("finalize rate", fin_rate, "employees/s", digits=1))
    if fin and fin.read_inputs_s == fin.read_inputs_s:
        add(
            row(
                f"finalize floor: reading the cycle's {fin.employees:,} inputs documents once, nothing else",
                Figure([fin.read_inputs_s]),
                "s",
                digits=1,
            )
        )
    if fin and fin.read_inputs_s == fin.read_inputs_s and fin_s.values:
        ratio = Figure([v / fin.read_inputs_s for v in fin_s.values])
        add(row("finalize / one read of its inputs (same run)", ratio, "x", "<= 2", ratio.median <= 2, 2))
    if fin_rate.values and fin_rate.median == 0:
        none = "n/a: no ScoreFinalized within the bound"
        add(f"| finalize 100,000, linear extrapolation | {none} | | | | | < 20 s | **missed** |")
    elif fin_rate.values:
        per = fin_rate.median
        add(
            f"| finalize 100,000, linear extrapolation | {fmt(100_000 / per, 0)} | | | s | | < 20 s | "
            f"{'met' if 100_000 / per < 20 else '**missed**'} |"
        )
        add(
            f"| finalize {NATIONAL:,} (national), linear extrapolation "
            f"| {fmt(NATIONAL / per / 3600, 1)} | | | h | | | |"
        )
    peaks: dict[str, list[float]] = {}
    for p in [*r.pipeline, *(x for v in r.scale.values() for x in v)]:
        for name, mb in p.peaks.items():
            peaks.setdefault(name, []).append(mb)
    for x in r.latency:
        for name, mb in x.peaks.items():
            peaks.setdefault(name, []).append(mb)
    if fin:
        peaks.setdefault("scoring (finalize)", []).append(fin.peak_mb)
    for name, values in sorted(peaks.items()):
        f = Figure(values)
        limit = 200 if name == "scoring (finalize)" else 150  # finalising streams the cycle
        # One decimal: a peak of 199.7 MB against a limit of 200 must not read "200 < 200, met".
        add(row(f"peak RSS (VmHWM) {name}", f, "MB", f"< {limit} MB", f.high < limit, digits=1))
    lines += history_rows(r.history)
    add("")

    add(
        "Where a target is missed, the CPU seconds per process in the tables below show which process "
        "the time went to, the py-spy profile at the end shows where in scoring, and "
        "[docs/benchmarks.md](../docs/benchmarks.md#where-the-time-goes-committed-run) "
        "explains the committed run.\n"
    )
    add("## What the pipeline runs did\n")
    add(
        f"{r.pipeline_employees} employees per run ({r.pipeline[0].events if r.pipeline else 0} input "
        f"events, mean {r.pipeline[0].mean_bytes if r.pipeline else 0:.0f} B), 90 s bound per run; "
        f"scale-out runs {r.scale_employees} employees, scoring alone.\n"
    )
    add(
        "| run | events | scoring s | career s | notify s | consumed by stage (done/in) | records out "
        "| CPU s by process over the run |"
    )
    add("|---|---:|---:|---:|---:|---|---|---|")
    labelled = [("pipeline", p) for p in r.pipeline] + [
        (f"scoring x{k}", p) for k, v in sorted(r.scale.items()) for p in v
    ]
    for label, p in labelled:
        consumed = ", ".join(f"{k} {a}/{b}" for k, (a, b) in p.consumed.items())
        out = ", ".join(f"{k.split('.')[1]} {v}" for k, v in sorted(p.counts.items()))
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in p.cpu.items())
        add(
            f"| {label}{'' if p.complete else ' (not done in bound)'} | {p.events} | {fmt(p.scoring_s, 1)} "
            f"| {fmt(p.career_s, 1)} | {fmt(p.notify_s, 1)} | {consumed} | {out} | {cpu} |"
        )
    add("")
    if r.latency:
        add("## Runs at national peak\n")
        add(
            "All four services as processes; submissions over HTTP on a fixed schedule (bench/latency.py)."
            " Drain: seconds after the last answer until the stage's group committed everything and its"
            " last output was out. CPU seconds by process over the run, from the first submission to"
            " the end of the drain.\n"
        )
        add(
            "| run | rate asked / achieved | accepted | unanswered | matched | coalesced "
            "| submit->score p50 / p99 ms | publish->score p50 / p99 ms | HTTP p50 / p99 ms "
            "| submit->notification n, p99 ms | highest lag | drain s | CPU s by process |"
        )
        add("|---|---|---:|---:|---:|---:|---|---|---|---|---|---|---|")
        for k, x in enumerate(r.latency):
            lags = ", ".join(f"{s} {v}" for s, v in x.max_lag.items())
            drains = ", ".join(f"{s} {fmt(math.nan if v is None else v, 1)}" for s, v in x.drain_s.items())
            cpu = ", ".join(f"{s} {v:.1f}" for s, v in x.cpu.items())
            add(
                f"| {k + 1} | {x.rate:.0f} / {x.achieved_rate:.0f} | {x.accepted} | {x.unanswered} "
                f"| {x.matched} | "
                f"{x.accepted - x.matched} | {fmt(pct(x.submit_to_score_ms, 50))} / "
                f"{fmt(pct(x.submit_to_score_ms, 99))} | "
                f"{fmt(pct(x.publish_to_score_ms, 50))} / {fmt(pct(x.publish_to_score_ms, 99))} | "
                f"{fmt(pct(x.http_ms, 50))} / {fmt(pct(x.http_ms, 99))} "
                f"| {len(x.submit_to_notified_ms)}, {fmt(pct(x.submit_to_notified_ms, 99))} "
                f"| {lags} | {drains} | {cpu} |"
            )
        add("")
    if fin:
        add("## Finalisation run\n")
        add(
            f"{fin.employees:,} employees' inputs bulk-inserted in {fin.insert_s:.1f} s; per close: "
            + ", ".join(
                f"{n:,} finalised in {s:.1f} s" for n, s in zip(fin.published, fin.elapsed, strict=False)
            )
            + ". CPU seconds over the last close: "
            f"{', '.join(f'{k} {v:.1f}' for k, v in fin.cpu.items())}. Score documents written by the "
            f"end of the bound: {fin.written}.\n"
        )
        if fin.read_inputs_cpu:
            add(
                f"Afterwards, with scoring idle, one read of the cycle's inputs documents (the query"
                f" a close starts with) took {fin.read_inputs_s:.1f} s; CPU seconds: "
                f"{', '.join(f'{k} {v:.1f}' for k, v in fin.read_inputs_cpu.items())}.\n"
            )
        if fin.profile:
            add(fin.profile.markdown("py-spy of the scoring process during finalisation"))
    lines += history_section(r.history)
    if r.api_rows:
        add("## Feedback API runs\n")
        add(
            "Each run drives the service (or the floor, `bench.api_floor`: no reads, no checks, no outbox"
            " marking) with peer submissions over keep-alive connections, then waits until every"
            " FeedbackSubmitted is on the inputs topic; CPU is counted until then.\n"
        )
        add(API_HEADER)
        for line in r.api_rows:
            add(line)
        add("")
    if r.pipeline_profile:
        add("## Profile of scoring in the pipeline\n")
        add(r.pipeline_profile.markdown("py-spy of the scoring process, first pipeline run"))
    md.write_text("\n".join(lines) + "\n")
    chart(
        r,
        png,
        {
            "Kafka producer": r.producer_perf,
            "Kafka consumer": r.consumer_perf,
            "bare aiokafka": r.bare,
            "pipeline: scoring": pipe_scoring,
            "pipeline: career": pipe_career,
            "pipeline: notify": pipe_notify,
            "scoring x1": one,
            "scoring x2": two,
            **{f"API {b} x{c}": a.rate for (b, c), a in sorted(r.api.items())},
            "finalize": fin_rate,
        },
        {"submit->score p50": submit, "submit->score p99": submit99, "published->score p99": pub99},
    )


def history_rows(run: HistoryRun | None) -> list[str]:
    """Rows of the main table: each workload's cost at the largest history over the smallest."""
    if run is None or len(run.levels) < 2:
        return []
    low, high = run.levels[0].documents, run.levels[-1].documents
    return [
        row(
            f"history growth: {name} cost at {high:,} / at {low:,} documents",
            fig([ratio]),
            "x",
            "<= 1.2",
            ok,
            2,
        )
        for name, ratio, ok in history.ratios(run)
    ]


def history_section(run: HistoryRun | None) -> list[str]:
    """## History growth: the per-level table of bench.history."""
    if run is None:
        return []
    return [
        "## History growth\n",
        f"The same workload with N documents of earlier cycles in the databases (`bench/history.py`;"
        f" N in total over the collections it reads, weighted towards the big ones), all in"
        f" {run.elapsed_s:.0f} s; seeding inserted {fmt(run.seeded_per_s)} documents/s. Cost is the CPU"
        f' of the service(s) and FerretDB per operation; "held" counts the seeded documents, the'
        f" workload's employees' own earlier cycles included.\n",
        *history.table(run),
        "",
    ]


def chart(r: Results, png: Path, rates: dict[str, Figure], lat: dict[str, Figure]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig_, (a, b) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 1]})
    names = [n for n, f in rates.items() if f.values]
    med = [rates[n].median for n in names]
    lo = [rates[n].median - rates[n].low for n in names]
    hi = [rates[n].high - rates[n].median for n in names]
    a.barh(names, med, xerr=[lo, hi], color="#4477aa")
    a.axvline(2000, color="#cc3311", linestyle="--", label="pipeline target 2,000/s")
    a.set_xscale("log")
    a.invert_yaxis()
    a.set_xlabel("events (records, submissions, employees) per second, log scale; median, min-max")
    a.legend(loc="lower right")
    a.set_title("Throughput on this 2-core machine")
    lnames = [n for n, f in lat.items() if f.values]
    b.bar(lnames, [lat[n].median for n in lnames], color="#228833")
    b.axhline(500, color="#cc3311", linestyle="--", label="p99 target 500 ms")
    b.set_ylabel("ms")
    b.set_title("Feedback -> score at 200/s")
    b.tick_params(axis="x", rotation=30)
    b.legend()
    fig_.tight_layout()
    fig_.savefig(png, dpi=90)
    plt.close(fig_)
