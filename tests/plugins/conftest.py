"""Collection settings for tests/plugins (no fixtures or helpers here)."""

from __future__ import annotations

# The example rubric's own tests import the example package, which exists only once a test has
# installed it: test_plugin_example runs them against that installation in a subprocess.
collect_ignore = ["example_rubric"]
