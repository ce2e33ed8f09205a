"""Per-rater statistics across a cycle, the basis of leniency and severity correction.

Rater idiosyncrasy explains more rating variance than performance does (Scullen, Mount & Goff
2000), so each rater's ratings are compared with the cycle's. :class:`RaterStats` is maintained
incrementally by the service, one submission at a time. It keeps only the latest version of each
submission and sums ratings as integers (thousandths of a point), so the same set of submissions
gives exactly the same statistics whatever order they arrived in.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.scoring.domain.inputs import FeedbackInput
from shared.events.feedback import Source

QUANTUM = 1000
"""Ratings are kept in thousandths of a point: integer sums do not depend on order."""


@dataclass(slots=True)
class _Tally:
    n: int = 0
    total: int = 0
    squares: int = 0
    ratees: Counter[str] = field(default_factory=Counter)

    def add(self, ratee: str | None, values: tuple[int, ...], sign: int) -> None:
        """Add (``sign`` +1) or remove (-1) one submission's ratings; ``ratee`` None for a tally
        whose ratees nobody counts (the cycle's: a Counter of every ratee of a region)."""
        self.n += sign * len(values)
        self.total += sign * sum(values)
        self.squares += sign * sum(v * v for v in values)
        if ratee is None:
            return
        self.ratees[ratee] += sign
        if self.ratees[ratee] <= 0:
            del self.ratees[ratee]

    @property
    def mean(self) -> float | None:
        return self.total / (self.n * QUANTUM) if self.n else None

    @property
    def sd(self) -> float | None:
        """Population standard deviation, from exact integer moments."""
        if self.n < 2:
            return None
        return math.sqrt(max(self.n * self.squares - self.total * self.total, 0)) / (self.n * QUANTUM)


@dataclass(frozen=True, slots=True)
class RaterProfile:
    """One rater's mean against the cycle's, and over how many ratees it was measured."""

    mean: float
    cycle_mean: float
    ratees: int

    @property
    def offset(self) -> float:
        """Positive: lenient (rates above the cycle mean); negative: severe."""
        return self.mean - self.cycle_mean


@dataclass(frozen=True, slots=True)
class _Entry:
    version: int
    rater: str
    ratee: str
    values: tuple[int, ...]


class RaterStats:
    """Running per-rater and cycle-wide rating statistics for one cycle.

    Only named raters rating someone else count: self-ratings measure the self, not a rater's
    habit, and anonymous citizens cannot be told apart.
    """

    __slots__ = ("_all", "_entries", "_raters", "_sealed")

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._raters: dict[str, _Tally] = {}
        self._all = _Tally()
        self._sealed = False

    @staticmethod
    def counts(feedback: FeedbackInput) -> bool:
        return feedback.source is not Source.SELF and bool(feedback.rater_nip) and bool(feedback.ratee_nip)

    def observe(self, feedback: FeedbackInput) -> bool:
        """Add one submission (replacing an older version of it); True when the stats changed."""
        if self._sealed:
            raise RuntimeError("statistics built with observe_complete take no further submissions")
        entry = self._entry(feedback)
        if entry is None:
            return False
        old = self._entries.get(feedback.submission_id)
        # The later version wins; equal versions keep the larger content, so replays of a
        # conflicting duplicate cannot make the result depend on arrival order.
        if old is not None and (old.version, old.values) >= (entry.version, entry.values):
            return False
        if old is not None:
            self._apply(old, -1)
        self._entries[feedback.submission_id] = entry
        self._apply(entry, +1)
        return True

    def observe_all(self, feedback: Iterable[FeedbackInput]) -> None:
        for item in feedback:
            self.observe(item)

    def observe_complete(self, feedback: Iterable[FeedbackInput]) -> None:
        """Add submissions whose every version is in ``feedback`` (one ratee's stored inputs), for
        a rebuild from the whole cycle: the same result as :meth:`observe` for each, without
        remembering the submissions. A region of 100,000 employees has some 600,000 of them,
        about 300 MB remembered; once this is used, :meth:`observe` refuses further ones."""
        self._sealed = True
        winners: dict[str, _Entry] = {}
        for item in feedback:
            entry = self._entry(item)
            old = winners.get(item.submission_id)
            if entry is not None and (
                old is None or (entry.version, entry.values) > (old.version, old.values)
            ):
                winners[item.submission_id] = entry
        for entry in winners.values():
            self._apply(entry, +1)

    def _entry(self, feedback: FeedbackInput) -> _Entry | None:
        if not self.counts(feedback) or feedback.rater_nip is None or feedback.ratee_nip is None:
            return None
        values = tuple(sorted(round(v * QUANTUM) for v in feedback.ratings.values()))
        # Interned: each NIP appears in many tallies, as rater and as ratee.
        return _Entry(
            feedback.version, sys.intern(feedback.rater_nip), sys.intern(feedback.ratee_nip), values
        )

    def _apply(self, entry: _Entry, sign: int) -> None:
        tally = self._raters.setdefault(entry.rater, _Tally())
        tally.add(entry.ratee, entry.values, sign)
        self._all.add(None, entry.values, sign)
        if tally.n == 0:
            del self._raters[entry.rater]

    @property
    def cycle_mean(self) -> float | None:
        return self._all.mean

    @property
    def cycle_sd(self) -> float | None:
        return self._all.sd

    def profile(self, rater_nip: str) -> RaterProfile | None:
        """The rater's profile, or None if the rater has no counted ratings."""
        tally = self._raters.get(rater_nip)
        cycle_mean = self._all.mean
        if tally is None or tally.mean is None or cycle_mean is None:
            return None
        return RaterProfile(mean=tally.mean, cycle_mean=cycle_mean, ratees=len(tally.ratees))

    def to_state(self) -> dict[str, dict[str, Any]]:
        """A JSON-ready snapshot the service can store; :meth:`from_state` restores it."""
        if self._sealed:
            raise RuntimeError("statistics built with observe_complete do not keep their submissions")
        return {
            sid: {"version": e.version, "rater": e.rater, "ratee": e.ratee, "values": list(e.values)}
            for sid, e in sorted(self._entries.items())
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Mapping[str, Any]]) -> RaterStats:
        stats = cls()
        for sid, doc in sorted(state.items()):
            values = tuple(int(v) for v in doc["values"])
            entry = _Entry(int(doc["version"]), str(doc["rater"]), str(doc["ratee"]), values)
            stats._entries[sid] = entry
            stats._apply(entry, +1)
        return stats
