"""The pluggy markers of the ``kinerja`` project, kept apart so hookspecs.py holds only hooks."""

from __future__ import annotations

import pluggy

PROJECT = "kinerja"
"""Project name of the markers and the entry-point group installed plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
