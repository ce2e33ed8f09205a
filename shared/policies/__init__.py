"""The built-in career policies: the national defaults and the seeded regions' differences.

Beside the rubrics (shared/rubrics), and for the same reason: built-in plugins live in the kernel
and load like installed ones. :mod:`shared.policies.region` is registered through the ``kinerja``
entry-point group in pyproject.toml (``career-regions``); :mod:`shared.policies.national` is not
a plugin but the ``national`` argument of the ``career_policy`` hook.
"""
