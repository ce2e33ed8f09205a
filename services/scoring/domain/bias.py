"""From raw feedback to what a rubric sees: selection, minimum raters, bias correction, outliers.

Every step that changes or drops something writes its reason into the explanation. Rater NIPs
never appear there: the ratee reads the explanation (FeedbackSubmitted: no service may show them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from services.scoring.domain.inputs import FeedbackInput
from services.scoring.domain.raters import RaterStats
from shared.events.feedback import ANONYMOUS_SOURCES, Source
from shared.events.scoring import Flag, LeftOut
from shared.plugins.model import RubricSpec

_DEFAULT_MIN_RATERS = MappingProxyType({Source.PEER: 3, Source.SUBORDINATE: 3, Source.CITIZEN: 3})


@dataclass(frozen=True, slots=True)
class BiasRules:
    """How rater bias is handled; research defaults from the domain primer, all configurable."""

    # Peer (and subordinate) results only from 3 raters up: pooling 3 raters brings reliability
    # to about .76, and no single rater can be identified. Citizens: reliability only.
    min_raters: Mapping[Source, int] = field(default_factory=lambda: _DEFAULT_MIN_RATERS)
    # A rater's leniency is only told apart from having good ratees across several ratees.
    min_ratees_for_correction: int = 3
    correction_strength: float = 1.0
    # Self-ratings are more lenient than supervisors' by d = .32 (SDs of the cycle's ratings).
    self_leniency_sd: float = 0.32
    # A rating further than this share of the scale's range from the median of its source's
    # ratings (3 or more) is an outlier and left out: 0.375 x (5 - 1) = 1.5 points on 1-5.
    outlier_share: float = 0.375
    outlier_min_ratings: int = 3
    # Supervisor and peers diverge when their means differ by more than this share of the
    # range on average over the criteria both rated: 0.25 x 4 = 1 point on 1-5.
    divergence_share: float = 0.25

    def fingerprint(self) -> list[object]:
        return [
            sorted((s.value, n) for s, n in self.min_raters.items()),
            self.min_ratees_for_correction,
            self.correction_strength,
            self.self_leniency_sd,
            self.outlier_share,
            self.outlier_min_ratings,
            self.divergence_share,
        ]


@dataclass(slots=True)
class PreparedFeedback:
    """The outcome of bias handling for one employee."""

    feedback: dict[Source, dict[str, float]] = field(default_factory=dict)
    raters: dict[Source, int] = field(default_factory=dict)
    used: list[FeedbackInput] = field(default_factory=list)
    # Every version about this employee: superseded ones change the explanation, so the digest
    # covers them too (equal digests, equal scores).
    considered: list[FeedbackInput] = field(default_factory=list)
    shifts: dict[str, float] = field(default_factory=dict)
    # Submissions whose rater rated too few people in the cycle to judge their leniency.
    unjudged: set[str] = field(default_factory=set)
    left_out: list[LeftOut] = field(default_factory=list)
    adjustments: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def prepare_feedback(
    items: Iterable[FeedbackInput],
    *,
    nip: str,
    service_role: bool,
    spec: RubricSpec,
    stats: RaterStats,
    rules: BiasRules,
    held_back: frozenset[Source] = frozenset(),
) -> PreparedFeedback:
    """Select, correct and pool the feedback about ``nip``.

    ``held_back`` sources are corrected (their shifts belong to the inputs digest) but not pooled:
    no mean, no outlier note, no correction note and no divergence flag comes from them, only a
    ``left_out`` entry. A provisional score holds back the anonymous sources, since a score that
    moved with each such rating would show that one rating (docs/scoring.md).
    """
    out = PreparedFeedback()
    valid = _select(items, nip, service_role, spec, out)
    sd = stats.cycle_sd
    by_source: dict[Source, list[tuple[FeedbackInput, dict[str, float]]]] = defaultdict(list)
    for item, ratings in valid:
        by_source[item.source].append((item, ratings))
    for source in sorted(by_source):
        group = by_source[source]
        raters = len({item.rater_key for item, _ in group})
        minimum = rules.min_raters.get(source, 1)
        if raters < minimum:
            out.left_out.append(
                LeftOut(
                    kind=f"feedback:{source}",
                    count=len(group),
                    reason=f"{raters} {source} rater(s), fewer than the {minimum} needed: "
                    "counted only from that many up, so that no single rater can be identified",
                )
            )
            continue
        corrected = [(item, _correct(item, ratings, spec, stats, sd, rules, out)) for item, ratings in group]
        if source in held_back:
            out.left_out.append(
                LeftOut(
                    kind=f"feedback:{source}",
                    count=raters,
                    reason="counted from the cycle's close: a provisional score that moved with each "
                    "peer, subordinate or citizen rating would show that one rating",
                )
            )
            continue
        _describe_corrections(source, group, out)
        out.feedback[source] = _aggregate(source, corrected, spec, rules, out)
        out.raters[source] = raters
        out.used.extend(item for item, _ in group)
    _divergence(out, spec, rules)
    return out


def _select(
    items: Iterable[FeedbackInput], nip: str, service_role: bool, spec: RubricSpec, out: PreparedFeedback
) -> list[tuple[FeedbackInput, dict[str, float]]]:
    """Latest version of each submission about this employee, with the ratings that fit the rubric."""
    latest: dict[str, FeedbackInput] = {}
    dropped: dict[tuple[str, str], int] = defaultdict(int)
    # No sort needed here: the latest version wins whatever the order, and what follows iterates
    # in submission-id order.
    for item in items:
        if item.ratee_nip != nip:
            dropped[(f"feedback:{item.source}", "about another employee or a unit")] += 1
            continue
        out.considered.append(item)
        old = latest.get(item.submission_id)
        # Whether a peer, subordinate or citizen rater resubmitted is nobody's business but theirs:
        # the explanation counts replaced versions of self and supervisor assessments only.
        if old is None or old.version < item.version or (old.version == item.version and _wins(item, old)):
            if old is not None and old.source not in ANONYMOUS_SOURCES:
                dropped[(f"feedback:{old.source}", "replaced by a later version")] += 1
            latest[item.submission_id] = item
        elif item.source not in ANONYMOUS_SOURCES:
            dropped[(f"feedback:{item.source}", "replaced by a later version")] += 1
    valid = []
    for sid in sorted(latest):
        item = latest[sid]
        kind = f"feedback:{item.source}"
        if item.rubric_id != spec.rubric_id:
            dropped[(kind, f"rated on rubric {item.rubric_id}, scored with {spec.rubric_id}")] += 1
            continue
        ratings = {}
        for cid, value in sorted(item.ratings.items()):
            if spec.accepts(item.source, cid, value, service_role=service_role):
                ratings[cid] = value
            else:
                problems = spec.rating_problems(item.source, {cid: value}, service_role=service_role)
                dropped[(f"rating:{item.source}", problems[0])] += 1
        if ratings:
            valid.append((item, ratings))
        else:
            dropped[(kind, "no rating fits the rubric")] += 1
    out.left_out.extend(LeftOut(kind=k, count=n, reason=r) for (k, r), n in sorted(dropped.items()))
    return valid


def _wins(item: FeedbackInput, old: FeedbackInput) -> bool:
    """Two different events with one submission id and version: the larger canonical form wins."""
    return repr(item.canonical()) > repr(old.canonical())


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _correct(
    item: FeedbackInput,
    ratings: dict[str, float],
    spec: RubricSpec,
    stats: RaterStats,
    sd: float | None,
    rules: BiasRules,
    out: PreparedFeedback,
) -> dict[str, float]:
    shift = 0.0
    if item.source is Source.SELF:
        if sd is not None:
            shift = -rules.self_leniency_sd * sd
    elif item.rater_nip is not None:
        profile = stats.profile(item.rater_nip)
        if profile is not None and profile.ratees >= rules.min_ratees_for_correction:
            shift = -rules.correction_strength * profile.offset
        else:
            out.unjudged.add(item.submission_id)
    out.shifts[item.submission_id] = shift
    if shift == 0.0:
        return ratings
    low, high = spec.scale.low, spec.scale.high
    return {cid: min(max(value + shift, low), high) for cid, value in ratings.items()}


def _describe_corrections(
    source: Source, group: list[tuple[FeedbackInput, dict[str, float]]], out: PreparedFeedback
) -> None:
    shifts = [out.shifts[item.submission_id] for item, _ in group]
    moved = [s for s in shifts if s != 0.0]
    if source is Source.SELF:
        if moved:
            out.adjustments.append(
                f"self: ratings lowered by {-moved[0]:.3f} (self-ratings run lenient by d = .32 cycle SDs)"
            )
        return
    judged = [item for item, _ in group if item.submission_id not in out.unjudged]
    if source is not Source.CITIZEN and judged:
        # A rater as lenient as the cycle on average is judged and needs no correction: that is
        # a shift of zero, not a rater left uncorrected.
        if moved:
            out.adjustments.append(
                f"{source}: leniency/severity corrected for {len(moved)} of {len(judged)} "
                f"rater(s), mean shift {sum(moved) / len(moved):+.3f} points"
            )
        else:
            out.adjustments.append(
                f"{source}: {len(judged)} rater(s) judged, none more lenient or severe than the cycle"
            )
    unjudged = len(group) - len(judged)
    if unjudged and source is not Source.CITIZEN:
        out.adjustments.append(
            f"{source}: {unjudged} rater(s) not corrected "
            "(too few ratees in the cycle to tell leniency from merit)"
        )


def _aggregate(
    source: Source,
    corrected: list[tuple[FeedbackInput, dict[str, float]]],
    spec: RubricSpec,
    rules: BiasRules,
    out: PreparedFeedback,
) -> dict[str, float]:
    """Mean per criterion, outliers (by the median rule) left out."""
    values: dict[str, list[float]] = defaultdict(list)
    for _, ratings in corrected:
        for cid, value in ratings.items():
            values[cid].append(value)
    limit = rules.outlier_share * (spec.scale.high - spec.scale.low)
    means = {}
    for cid in sorted(values):
        vals = values[cid]
        if len(vals) >= rules.outlier_min_ratings:
            median = _median(vals)
            kept = [v for v in vals if abs(v - median) <= limit]
            if not kept:
                # Split views (e.g. 1, 1, 5, 5) leave nothing near the median: no rating is the
                # odd one out, so all are kept and the split is said.
                out.adjustments.append(
                    f"{source}/{cid}: {len(vals)} ratings all further than {limit:g} points from "
                    f"the median {median:.2f}: views split, all kept"
                )
                kept = vals
            elif len(kept) < len(vals):
                out.left_out.append(
                    LeftOut(
                        kind=f"rating:{source}",
                        count=len(vals) - len(kept),
                        reason=f"{cid}: of {len(vals)} ratings, more than {limit:g} points from "
                        f"the median {median:.2f}: left out as outliers",
                    )
                )
            vals = kept
        means[cid] = sum(vals) / len(vals)
    return means


def _divergence(out: PreparedFeedback, spec: RubricSpec, rules: BiasRules) -> None:
    supervisor = out.feedback.get(Source.SUPERVISOR, {})
    peers = out.feedback.get(Source.PEER, {})
    common = sorted(supervisor.keys() & peers.keys())
    if not common:
        return
    gap = sum(abs(supervisor[c] - peers[c]) for c in common) / len(common)
    threshold = rules.divergence_share * (spec.scale.high - spec.scale.low)
    if gap > threshold:
        out.flags.append(
            Flag(
                code="supervisor_peer_divergence",
                message=f"supervisor and peers differ by {gap:.2f} points on average over {len(common)} "
                f"criteria (threshold {threshold:g}): check for personal bias before finalizing",
            )
        )
