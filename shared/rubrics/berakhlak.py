"""The seven BerAKHLAK core values as behaviour criteria (SE MenPANRB 20/2021; PermenPANRB 6/2022
uses them for Rating Perilaku Kerja). Not a plugin: a helper the built-in rubrics share."""

from __future__ import annotations

from shared.events.feedback import Source
from shared.plugins.model import Component, Criterion

VALUES: tuple[tuple[str, str, str], ...] = (
    ("berorientasi_pelayanan", "Berorientasi Pelayanan", "Service-oriented"),
    ("akuntabel", "Akuntabel", "Accountable"),
    ("kompeten", "Kompeten", "Competent"),
    ("harmonis", "Harmonis", "Harmonious"),
    ("loyal", "Loyal", "Loyal"),
    ("adaptif", "Adaptif", "Adaptive"),
    ("kolaboratif", "Kolaboratif", "Collaborative"),
)


def criteria(sources: frozenset[Source]) -> tuple[Criterion, ...]:
    """The seven values, equally weighted, rated by ``sources``."""
    return tuple(
        Criterion(
            criterion_id=cid,
            label_id=label_id,
            label_en=label_en,
            component=Component.BEHAVIOUR,
            sources=sources,
        )
        for cid, label_id, label_en in VALUES
    )
