"""The distribution curve per organisation predicate (PermenPANRB 6/2022, kurva distribusi).

Units of 10 employees, so shares are easy to read: 7 of 10 is 70%. Employee ``e<k>`` has index
sum ``k`` (results + behaviour), so 'lowest-scoring' is the smallest k.
"""

from __future__ import annotations

import random

import pytest

from services.scoring.domain import CurveEntry, check_curve
from shared.events.scoring import Predicate
from tests.scoring.support import nip

SB, B, BP, K, SK = (
    Predicate.SANGAT_BAIK,
    Predicate.BAIK,
    Predicate.BUTUH_PERBAIKAN,
    Predicate.KURANG,
    Predicate.SANGAT_KURANG,
)


def unit(*groups: tuple[Predicate, int]) -> list[CurveEntry]:
    """Employees by predicate, best predicates given the highest scores (as the matrix would)."""
    entries = []
    k = 100
    for predicate, count in groups:
        for _ in range(count):
            entries.append(CurveEntry(nip(k), predicate, results_score=float(k), behaviour_score=0.0))
            k -= 1
    return entries


@pytest.mark.parametrize(
    ("organisation", "groups"),
    [
        ("Istimewa", [(SB, 7), (B, 3)]),  # 70% Sangat Baik: at the cap, allowed
        ("Baik", [(SB, 2), (B, 7), (BP, 1)]),  # 70% Baik and one Butuh Perbaikan
        ("Baik", [(B, 7), (K, 3)]),  # a Kurang also counts for 'at least one BP or K'
        ("Butuh Perbaikan", [(SB, 1), (B, 3), (BP, 6)]),  # 10% SB, 60% BP
        ("Kurang", [(B, 3), (BP, 1), (K, 6)]),  # 60% K, 10% BP, no SB
        ("Sangat Kurang", [(BP, 3), (K, 1), (SK, 6)]),  # 60% SK, 40% K or BP, no SB
    ],
)
def test_rules_curve_distribution_within_bounds_has_no_violation(
    organisation: str, groups: list[tuple[Predicate, int]]
) -> None:
    check = check_curve("dinkes", organisation, unit(*groups))
    assert check.violations == ()
    assert check.proposed == {}
    assert check.unresolved == ()


def test_rules_curve_istimewa_caps_sangat_baik_at_70_percent() -> None:
    entries = unit((SB, 8), (B, 2))  # SB are nip 100..93; the lowest SB is nip(93)
    check = check_curve("dinkes", "Istimewa", entries)
    [violation] = check.violations
    assert violation.rule.startswith("at most 70% Sangat Baik")
    assert (violation.observed, violation.limit) == (0.8, 0.7)
    # 8 SB, 7 allowed (70% of 10): the lowest-scoring SB moves down one step.
    assert check.proposed == {nip(93): B}
    assert check.unresolved == ()


def test_rules_curve_baik_caps_baik_and_needs_one_below() -> None:
    entries = unit((SB, 2), (B, 8))  # B are nip 98..91
    check = check_curve("dinkes", "Baik", entries)
    assert [(v.observed, v.limit) for v in check.violations] == [(0.8, 0.7), (0.0, 0.1)]
    assert "at least 1 Butuh Perbaikan or Kurang" in check.violations[1].rule
    # One move mends both: the lowest Baik (nip 91) to Butuh Perbaikan leaves 7 Baik and 1 BP.
    assert check.proposed == {nip(91): BP}


def test_rules_curve_butuh_perbaikan_caps_sb_and_fills_bp_from_just_above() -> None:
    entries = unit((SB, 2), (B, 4), (BP, 4))  # SB 100, 99; B 98..95; BP 94..91
    check = check_curve("dinkes", "butuh_perbaikan", entries)
    assert [(v.observed, v.limit) for v in check.violations] == [(0.2, 0.1), (0.4, 0.6)]
    # SB 20% > 10%: nip 99 (lowest SB) -> B.  BP 4 < 6: the two lowest Baik, nip 95 and 96, -> BP.
    assert check.proposed == {nip(99): B, nip(95): BP, nip(96): BP}


def test_rules_curve_kurang_moves_down_until_both_floors_hold() -> None:
    entries = unit((B, 5), (K, 5))  # B 100..96, K 95..91
    check = check_curve("dinkes", "Kurang", entries)
    assert [(v.observed, v.limit) for v in check.violations] == [(0.5, 0.6), (0.0, 0.1)]
    # K floor: nobody in BP, so the lowest B (96) -> BP; still 5 K, so 96 again BP -> K.
    # BP floor now broken: the next lowest B (97) -> BP. Result: B 3, BP 1, K 6.
    assert check.proposed == {nip(96): K, nip(97): BP}
    assert check.unresolved == ()


def test_rules_curve_sangat_kurang_allows_no_sangat_baik() -> None:
    entries = unit((SB, 1), (K, 4), (SK, 5))  # SB 100; K 99..96; SK 95..91
    check = check_curve("dinkes", "Sangat Kurang", entries)
    assert [(v.observed, v.limit) for v in check.violations] == [(0.1, 0.0), (0.5, 0.6)]
    assert check.violations[0].rule.startswith("at most 0% Sangat Baik")
    # SB -> B (one step, enough for the cap); SK floor: the lowest Kurang (96) -> SK.
    assert check.proposed == {nip(100): B, nip(96): SK}


def test_rules_curve_reports_what_no_move_can_mend() -> None:
    # One employee under a Sangat Kurang organisation: 'at least 10% K or BP' and 'at least 60% SK'
    # cannot both hold. Moving up to Kurang mends the first; moving back down is not allowed.
    check = check_curve("dinkes", "Sangat Kurang", unit((SK, 1)))
    assert [(v.observed, v.limit) for v in check.violations] == [(0.0, 0.1)]
    assert check.proposed == {nip(100): K}
    assert [(v.observed, v.limit) for v in check.unresolved] == [(0.0, 0.6)]


def test_rules_curve_proposal_does_not_depend_on_input_order() -> None:
    entries = unit((SB, 3), (B, 4), (BP, 1), (K, 2))
    first = check_curve("dinkes", "Butuh Perbaikan", entries)
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        assert check_curve("dinkes", "Butuh Perbaikan", shuffled) == first


def test_rules_curve_ties_break_on_nip() -> None:
    # Equal scores: the smaller NIP counts as lower and moves first.
    entries = [CurveEntry(nip(n), SB, 50.0, 50.0) for n in (5, 3, 4)]
    check = check_curve("dinkes", "Istimewa", entries)
    # 3 SB, at most 2 (70% of 3 = 2.1) -> one move: nip(3).
    assert check.proposed == {nip(3): B}


def test_rules_curve_empty_unit_has_nothing_to_check() -> None:
    check = check_curve("dinkes", "Baik", [])
    assert (check.violations, check.proposed) == ((), {})


def test_rules_curve_unknown_organisation_predicate_is_refused() -> None:
    with pytest.raises(ValueError, match="luar_biasa"):
        check_curve("dinkes", "Luar Biasa", unit((B, 1)))
