"""``python -m services.web``: serve the web application."""

from __future__ import annotations

import uvicorn

from services.web.app import create_app
from services.web.config import WebSettings


def main() -> None:
    settings = WebSettings()
    if problem := settings.secret_problem():
        raise SystemExit(f"web: refusing to serve on {settings.http_host}: {problem}")
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.port,
        log_config=None,
        access_log=False,
        # The citizen rate limit counts the citizen's address, which a proxy in front names.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )


if __name__ == "__main__":
    main()
