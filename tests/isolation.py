"""What the suite's isolation shares between conftest.py and the tests that need it."""

from __future__ import annotations

#: Databases a test may create under its prefix; they are dropped afterwards, because FerretDB's
#: SQLite backend keeps a file per database and slows down as thousands accumulate.
TEST_DATABASES = ("feedback", "scoring", "career", "notify", "ledger", "writer", "httptest", "stack")
