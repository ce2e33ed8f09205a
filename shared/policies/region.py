"""Career policies of the seeded regions, each the national policy with its differences.

Sources: the regions' own descriptions of their rules (Marelan, Plaju, Siulak), quoted below.
The numbers the seeds do not give (how many cycles, which score) are project defaults.
The module is also a plugin: its :func:`career_policy` hook hands these policies out.
"""

from __future__ import annotations

from dataclasses import replace

from shared.events.career import RecommendationKind
from shared.events.scoring import Predicate
from shared.plugins.career import CareerPolicy, Offer, StreakRule, TeamAwardRule
from shared.plugins.markers import hookimpl
from shared.policies.national import BONUS, CERTIFICATE, COACHING, NATIONAL_POLICY

MARELAN_POLICY: CareerPolicy = replace(
    NATIONAL_POLICY,
    name="marelan",
    # "ASN yang terus menunjukkan kinerja luar biasa": advanced training or seminars outside the
    # region, for Sangat Baik in two cycles running.
    outstanding=StreakRule(
        predicates=frozenset({Predicate.SANGAT_BAIK}),
        consecutive=2,
        offers=(
            Offer("pelatihan_lanjutan", "Pelatihan lanjutan", RecommendationKind.TRAINING),
            Offer("seminar_luar_daerah", "Seminar di luar daerah", RecommendationKind.SEMINAR),
        ),
    ),
)

PLAJU_POLICY: CareerPolicy = replace(
    NATIONAL_POLICY,
    name="plaju",
    # "Kinerja baik dan memiliki kompetensi yang sesuai": a good predicate two cycles running and
    # no competency below 80 in the current cycle.
    scholarship=StreakRule(
        predicates=frozenset({Predicate.SANGAT_BAIK, Predicate.BAIK}),
        consecutive=2,
        min_criterion=80.0,
        offers=(
            Offer(
                "beasiswa_pendidikan_lanjutan", "Beasiswa pendidikan lanjutan", RecommendationKind.SCHOLARSHIP
            ),
        ),
    ),
)

SIULAK_POLICY: CareerPolicy = replace(
    NATIONAL_POLICY,
    name="siulak",
    # "Sertifikat, bonus, atau promosi jabatan" for meeting or beating targets.
    rewards={Predicate.SANGAT_BAIK: (CERTIFICATE, BONUS), Predicate.BAIK: (CERTIFICATE,)},
    # "Pembinaan hingga tindakan disiplin": the ladder escalates over consecutive poor cycles.
    sanction=replace(
        NATIONAL_POLICY.sanction,
        ladder=(
            COACHING,
            Offer(
                "teguran_tertulis_rpk",
                "Teguran tertulis dan rencana perbaikan kinerja",
                RecommendationKind.SANCTION,
            ),
            Offer("pemeriksaan_disiplin", "Pemeriksaan disiplin", RecommendationKind.SANCTION),
        ),
    ),
    # "Tim Terbaik" for a team that improved public service.
    team_award=TeamAwardRule(offer=Offer("tim_terbaik", "Tim Terbaik", RecommendationKind.TEAM_AWARD)),
)

REGIONAL_POLICIES: dict[str, CareerPolicy] = {
    policy.name: policy for policy in (MARELAN_POLICY, PLAJU_POLICY, SIULAK_POLICY)
}
"""Seeded regions by name; any other region runs on :data:`NATIONAL_POLICY`."""


@hookimpl
def career_policy(region: str, national: CareerPolicy) -> CareerPolicy | None:
    """The seeded regions' policies, as a plugin (register this module; see docs/plugins.md)."""
    # The presets are built on NATIONAL_POLICY at import; ``national`` is that same object.
    return REGIONAL_POLICIES.get(region)
