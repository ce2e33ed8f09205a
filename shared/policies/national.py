"""The national career policy: the defaults every region starts from.

Regions change it only through the ``career_policy`` hook (the seeded regions:
:mod:`shared.policies.region`); the career service passes :data:`NATIONAL_POLICY` to that hook as
``national`` and uses it for every region no plugin answers for.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.events.career import RecommendationKind
from shared.events.scoring import Predicate, Rating
from shared.plugins.career import (
    CareerPolicy,
    Offer,
    SanctionRule,
    StreakRule,
    TrainingRule,
)


def _training(code: str, title: str) -> Offer:
    return Offer(code, title, RecommendationKind.TRAINING)


_COMMUNICATION = _training("komunikasi_pelayanan", "Pelatihan komunikasi pelayanan publik")
_SERVICE = _training("pelayanan_prima", "Pelatihan pelayanan prima")

NATIONAL_TRAINING_CATALOGUE: Mapping[str, Offer] = {
    # The seeds name communication and public service (Marelan, Siulak); the rest follows the seven
    # BerAKHLAK core values and Plaju's knowledge / skills / attitude competencies.
    "communication": _COMMUNICATION,
    "komunikasi": _COMMUNICATION,
    "public_service": _SERVICE,
    "pelayanan_publik": _SERVICE,
    "berorientasi_pelayanan": _SERVICE,
    "akuntabel": _training("akuntabilitas", "Pelatihan akuntabilitas kinerja"),
    "kompeten": _training("pengembangan_kompetensi", "Pelatihan pengembangan kompetensi teknis"),
    "harmonis": _training("kerja_harmonis", "Pelatihan membangun lingkungan kerja harmonis"),
    "loyal": _training("integritas", "Pelatihan integritas dan wawasan kebangsaan"),
    "adaptif": _training("adaptasi_perubahan", "Pelatihan adaptasi dan inovasi"),
    "kolaboratif": _training("kerja_sama_tim", "Pelatihan kerja sama tim"),
    "teamwork": _training("kerja_sama_tim", "Pelatihan kerja sama tim"),
    "pengetahuan": _training("pengetahuan_kebijakan", "Pelatihan pengetahuan kebijakan sektoral"),
    "keterampilan": _training("keterampilan_teknis", "Pelatihan keterampilan teknis"),
    "sikap": _training("etika_profesi", "Pelatihan etika dan sikap profesional"),
    "proses": _training("manajemen_kinerja", "Pelatihan perencanaan dan manajemen kinerja"),
    # Criteria of the built-in Marelan rubric (shared/rubrics/marelan.py).
    "pencapaian_target": _training("manajemen_kinerja", "Pelatihan perencanaan dan manajemen kinerja"),
    "kontribusi_tim": _training("kerja_sama_tim", "Pelatihan kerja sama tim"),
    "perilaku_profesional": _training("etika_profesi", "Pelatihan etika dan sikap profesional"),
    "pelayanan": _COMMUNICATION,
}

ALLOWANCE_PERCENT_EXAMPLE: Mapping[Predicate, float] = {
    # Tunjangan kinerja by predicate. DOMAIN.md cites one ministry paying 90 / 85 / 80 % for
    # Butuh Perbaikan / Kurang / Sangat Kurang (agency-specific, marked "check"); Sangat Baik and
    # Baik get the full allowance. Regions override this table, never the rule.
    Predicate.SANGAT_BAIK: 100.0,
    Predicate.BAIK: 100.0,
    Predicate.BUTUH_PERBAIKAN: 90.0,
    Predicate.KURANG: 85.0,
    Predicate.SANGAT_KURANG: 80.0,
}

PERFORMANCE_AXIS: Mapping[Predicate, Rating] = {
    # Performance axis of the 9-box from the predicate in force, so that a calibration by the
    # appraising official also moves the box.
    Predicate.SANGAT_BAIK: Rating.ABOVE,
    Predicate.BAIK: Rating.MEETS,
    Predicate.BUTUH_PERBAIKAN: Rating.BELOW,
    Predicate.KURANG: Rating.BELOW,
    Predicate.SANGAT_KURANG: Rating.BELOW,
}

CERTIFICATE = Offer("piagam_penghargaan", "Piagam penghargaan kinerja", RecommendationKind.REWARD)
BONUS = Offer("bonus_kinerja", "Bonus kinerja", RecommendationKind.REWARD)
COACHING = Offer("pembinaan", "Pembinaan oleh atasan langsung", RecommendationKind.SANCTION)

NATIONAL_POLICY = CareerPolicy(
    name="national",
    training=TrainingRule(catalogue=NATIONAL_TRAINING_CATALOGUE),
    promotion=StreakRule(
        predicates=frozenset({Predicate.SANGAT_BAIK}),
        consecutive=2,
        offers=(Offer("siap_promosi", "Kesiapan promosi jabatan", RecommendationKind.PROMOTION_READINESS),),
    ),
    allowance_percent=ALLOWANCE_PERCENT_EXAMPLE,
    rewards={Predicate.SANGAT_BAIK: (CERTIFICATE,)},
    # Nationally a poor cycle leads to coaching; escalation beyond it is regional (Siulak).
    sanction=SanctionRule(
        poor_predicates=frozenset({Predicate.KURANG, Predicate.SANGAT_KURANG}), ladder=(COACHING,)
    ),
    performance_axis=PERFORMANCE_AXIS,
)
"""National defaults; regions start from here (see :mod:`shared.policies.region`)."""
