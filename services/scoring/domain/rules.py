"""National rules applied after every rubric, kept as data with the rule they come from.

- Rating bands: results and behaviour each take one of three levels (PermenPANRB 6/2022,
  'Rating Hasil Kerja' and 'Rating Perilaku Kerja'). The regulation leaves the judgement to the
  supervisor and sets no numeric thresholds; ours sit on the rubric index (50 = as expected) at
  the rounding midpoints of the 1-5 scale, 2.5 and 3.5. Configurable.
- Predicate matrix: PermenPANRB 6/2022, Lampiran, 'Predikat Kinerja Pegawai'.
- Distribution curve: PermenPANRB 6/2022, Lampiran, 'kurva distribusi predikat kinerja pegawai'
  bounded by the organisation's predicate (check: see docs/DOMAIN.md of the reference material).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from shared.events.scoring import Predicate, Rating

R, P = Rating, Predicate


@dataclass(frozen=True, slots=True)
class RatingBands:
    """Index at or above ``above_from`` is Di Atas; below ``below_under`` is Di Bawah; else Sesuai."""

    below_under: float = 37.5
    above_from: float = 62.5

    def __post_init__(self) -> None:
        if not 0 <= self.below_under <= self.above_from <= 100:
            raise ValueError("need 0 <= below_under <= above_from <= 100")

    def rate(self, index: float) -> Rating:
        if index >= self.above_from:
            return Rating.ABOVE
        if index < self.below_under:
            return Rating.BELOW
        return Rating.MEETS


PREDICATE_MATRIX: Mapping[tuple[Rating, Rating], Predicate] = MappingProxyType(
    {
        # (results, behaviour) -> predicate. PermenPANRB 6/2022, Lampiran: behaviour below
        # expectation is misconduct and caps the predicate at Kurang whatever the results.
        (R.ABOVE, R.ABOVE): P.SANGAT_BAIK,
        (R.ABOVE, R.MEETS): P.BAIK,
        (R.ABOVE, R.BELOW): P.KURANG,
        (R.MEETS, R.ABOVE): P.BAIK,
        (R.MEETS, R.MEETS): P.BAIK,
        (R.MEETS, R.BELOW): P.KURANG,
        (R.BELOW, R.ABOVE): P.BUTUH_PERBAIKAN,
        (R.BELOW, R.MEETS): P.BUTUH_PERBAIKAN,
        (R.BELOW, R.BELOW): P.SANGAT_KURANG,
    }
)

PREDICATE_ORDER: tuple[Predicate, ...] = (
    P.SANGAT_BAIK,
    P.BAIK,
    P.BUTUH_PERBAIKAN,
    P.KURANG,
    P.SANGAT_KURANG,
)
"""Best first; the curve check moves employees one step along this order."""


class OrganisationPredicate(StrEnum):
    """The unit's own predicate, which bounds its employees' predicates."""

    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"

    @classmethod
    def parse(cls, text: str) -> OrganisationPredicate:
        """Accept 'Istimewa', 'Butuh Perbaikan', 'butuh_perbaikan', ... as CycleClosed carries them."""
        return cls(text.strip().lower().replace(" ", "_").replace("-", "_"))


@dataclass(frozen=True, slots=True)
class CurveRule:
    """One bound on a unit's distribution: a share in percent (or, for min_count, a head count)."""

    kind: Literal["max_share", "min_share", "min_count"]
    predicates: frozenset[Predicate]
    value: int
    text: str

    def holds(self, count: int, total: int) -> bool:
        # Integer arithmetic: 7 of 10 is exactly 70%, with no float rounding at the edge.
        if self.kind == "max_share":
            return count * 100 <= self.value * total
        if self.kind == "min_share":
            return count * 100 >= self.value * total
        return count >= self.value

    def limit(self, total: int) -> float:
        return self.value / total if self.kind == "min_count" else self.value / 100


def _rule(kind: Literal["max_share", "min_share", "min_count"], value: int, *preds: Predicate) -> CurveRule:
    names = " or ".join(p.value.replace("_", " ").title() for p in preds)
    if kind == "min_count":
        text = f"at least {value} {names}"
    else:
        text = f"{'at most' if kind == 'max_share' else 'at least'} {value}% {names}"
    return CurveRule(kind, frozenset(preds), value, text)


Org = OrganisationPredicate
CURVE: Mapping[OrganisationPredicate, tuple[CurveRule, ...]] = MappingProxyType(
    {
        # PermenPANRB 6/2022, Lampiran, kurva distribusi. Caps on the better predicates come
        # first, so the proposal moves people down before it fills the lower predicates.
        Org.ISTIMEWA: (_rule("max_share", 70, P.SANGAT_BAIK),),
        Org.BAIK: (
            _rule("max_share", 70, P.BAIK),
            _rule("min_count", 1, P.BUTUH_PERBAIKAN, P.KURANG),
        ),
        Org.BUTUH_PERBAIKAN: (
            _rule("max_share", 10, P.SANGAT_BAIK),
            _rule("min_share", 60, P.BUTUH_PERBAIKAN),
        ),
        Org.KURANG: (
            _rule("max_share", 10, P.SANGAT_BAIK),
            _rule("min_share", 60, P.KURANG),
            _rule("min_share", 10, P.BUTUH_PERBAIKAN),
        ),
        Org.SANGAT_KURANG: (
            _rule("max_share", 0, P.SANGAT_BAIK),
            _rule("min_share", 60, P.SANGAT_KURANG),
            _rule("min_share", 10, P.KURANG, P.BUTUH_PERBAIKAN),
        ),
    }
)


@dataclass(frozen=True, slots=True)
class NationalRules:
    """The national rules the core applies; replace a field to configure one."""

    bands: RatingBands = field(default_factory=RatingBands)
    matrix: Mapping[tuple[Rating, Rating], Predicate] = field(default_factory=lambda: PREDICATE_MATRIX)
    curve: Mapping[OrganisationPredicate, tuple[CurveRule, ...]] = field(default_factory=lambda: CURVE)

    def __post_init__(self) -> None:
        missing = {(r, b) for r in Rating for b in Rating} - self.matrix.keys()
        if missing:
            raise ValueError(f"predicate matrix lacks {sorted(missing)}")

    def predicate(self, results: Rating, behaviour: Rating) -> Predicate:
        return self.matrix[(results, behaviour)]

    def fingerprint(self) -> list[object]:
        """The parts that change a Score, for the inputs digest."""
        cells = sorted((r.value, b.value, p.value) for (r, b), p in self.matrix.items())
        return [self.bands.below_under, self.bands.above_from, cells]
