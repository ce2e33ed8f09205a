"""The suite's services, named once for the tools, the benchmarks and the tests that start them.

The four event services share the kernel's runtime (Kafka, the database, ``KINERJA_*`` settings);
the web application has its own settings (``KINERJA_WEB_*``) and only calls their APIs.
tests/contracts/test_service_shape.py checks these names against services/.
"""

from __future__ import annotations

SERVICES = ("feedback", "scoring", "career", "notify")
"""The event services, in the order they start: the producer of inputs first."""
CONSUMERS = ("scoring", "career", "notify")
"""The services that consume events (those with a handlers.py)."""
APPS = (*SERVICES, "web")
"""Every service the suite runs."""
