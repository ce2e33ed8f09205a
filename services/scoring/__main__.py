"""``python -m services.scoring``: run the scoring service (HTTP API and event consumers)."""

from __future__ import annotations

from services.scoring.app import create_app
from shared.runtime import serve

if __name__ == "__main__":
    serve(create_app, "scoring")
