"""Resolve a region's career policy through the plugin hooks, with the national defaults.

The hooks are specified in :mod:`shared.plugins.hookspecs` (``career_policy``,
``career_training_catalogue``); the seeded regions implement them in
:mod:`shared.policies.region`. Resolution calls plugin code but does no I/O itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pluggy

from shared.plugins.career import CareerPolicy, Offer, normalise_key
from shared.plugins.manager import PluginConflict
from shared.policies.national import NATIONAL_POLICY


def resolve_policy(pm: pluggy.PluginManager, region: str) -> CareerPolicy:
    """The career policy of ``region``: a plugin's, else national, plus plugin trainings.

    :raises PluginConflict: two plugins give ``region`` a policy, or different trainings for
        one criterion; a start-up error, like the rubric conflicts.
    """
    policies: list[CareerPolicy] = pm.hook.career_policy(region=region, national=NATIONAL_POLICY)
    if len(policies) > 1:
        names = ", ".join(sorted(p.name for p in policies))
        raise PluginConflict(f"several plugins give region {region!r} a career policy: {names}")
    policy = policies[0] if policies else NATIONAL_POLICY
    if not isinstance(policy, CareerPolicy):
        raise PluginConflict(f"career_policy returned {type(policy).__name__} for region {region!r}")
    extra = merge_catalogues(pm.hook.career_training_catalogue(region=region))
    if not extra:
        return policy
    catalogue = {**policy.training.catalogue, **extra}
    return replace(policy, training=replace(policy.training, catalogue=catalogue))


def merge_catalogues(parts: list[Mapping[str, Offer]]) -> dict[str, Offer]:
    """Merge the plugins' catalogue entries; one key offered two different trainings is a conflict."""
    merged: dict[str, Offer] = {}
    for part in parts:
        for key, offer in part.items():
            normal = normalise_key(key)
            if merged.get(normal, offer) != offer:
                raise PluginConflict(
                    f"criterion {normal!r} has two trainings: {merged[normal].code!r} and {offer.code!r}"
                )
            merged[normal] = offer
    return merged
