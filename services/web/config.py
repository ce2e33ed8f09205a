"""Settings of the web application (environment variables ``KINERJA_WEB_*``).

The web signs the services' bearer tokens for its sessions, so it shares ``KINERJA_JWT_SECRET``
and ``KINERJA_JWT_ISSUER`` with them (docs/web.md, "Sign-in").
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEV_JWT_SECRET

DEV_SESSION_SECRET = "kinerja-web-dev-session-secret-change-me"
DEFAULT_PORT = 8085


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_WEB_", extra="ignore", populate_by_name=True)

    http_host: str = Field("127.0.0.1", description="Address the web application listens on.")
    port: int = Field(DEFAULT_PORT, description="HTTP port of the web application.")
    public_url: str = Field(
        "",
        description="The address people reach the web at (`https://kinerja.example.go.id`): the OIDC"
        " redirect and the citizen QR codes use it. Empty: `http://127.0.0.1:<port>`.",
    )
    log_level: str = Field(
        "INFO", validation_alias=AliasChoices("KINERJA_WEB_LOG_LEVEL", "KINERJA_LOG_LEVEL")
    )
    jwt_secret: str = Field(DEV_JWT_SECRET, validation_alias=AliasChoices("KINERJA_JWT_SECRET"))
    jwt_issuer: str = Field("kinerja", validation_alias=AliasChoices("KINERJA_JWT_ISSUER"))

    feedback_url: str = Field("http://127.0.0.1:8081", description="The feedback service's API.")
    scoring_url: str = Field("http://127.0.0.1:8082", description="The scoring service's API.")
    career_url: str = Field("http://127.0.0.1:8083", description="The career service's API.")
    notify_url: str = Field("http://127.0.0.1:8084", description="The notify service's API.")
    api_timeout_s: float = Field(10.0, description="Timeout of one call to a service.")

    oidc_issuer: str = Field(
        "http://127.0.0.1:5556/dex", description="The identity provider's issuer (its discovery document)."
    )
    oidc_client_id: str = Field("kinerja-web", description="The web's client id at the identity provider.")
    oidc_client_secret: str = Field(
        "", description="Client secret; empty for a public client, which signs in with PKCE alone."
    )
    oidc_scopes: str = Field("openid profile email groups", description="Scopes asked at sign-in.")
    claim_role: str = Field(
        "groups[role:]",
        description="Where the role is in the ID token: a claim name (`kinerja_role`), or"
        " `claim[prefix]` for the entry of a list claim that starts with `prefix` (`groups[role:]`).",
    )
    claim_region: str = Field("groups[region:]", description="Where the region is; same forms.")
    claim_nip: str = Field("preferred_username", description="Where the NIP is; same forms.")
    claim_name: str = Field("name", description="Where the display name is; same forms.")
    regions: str = Field(
        "",
        description="Regions this web serves, comma separated; a sign-in of another is refused. Empty: any.",
    )

    session_secret: str = Field(DEV_SESSION_SECRET, description="Key of the session cookie (32+ characters).")
    session_ttl_s: int = Field(8 * 3600, ge=300, description="A session ends this long after sign-in.")
    cookie_secure: bool = Field(False, description="Send cookies over HTTPS only (set it behind TLS).")
    trusted_proxies: str = Field(
        "", description="Proxies (comma separated) whose X-Forwarded-For names the visitor; none by default."
    )
    default_language: Literal["id", "en"] = Field("id", description="The language before anyone chooses.")

    def base_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    def session_key(self) -> bytes:
        """The 32-byte AES-GCM key of the session cookie, from the configured secret."""
        return hashlib.sha256(self.session_secret.encode()).digest()

    def csrf_secret(self) -> str:
        """The CSRF tokens' key, derived apart from the session cookie's."""
        return hashlib.sha256(b"kinerja-web-csrf:" + self.session_secret.encode()).hexdigest()

    def served_regions(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.regions.split(",") if r.strip())

    def secret_problem(self) -> str | None:
        """Why the configured secrets must not serve beyond this machine, or None: the built-in
        development ones, a deployment template's unreplaced placeholder, or a short one."""
        try:
            loopback = ipaddress.ip_address(self.http_host).is_loopback
        except ValueError:
            loopback = self.http_host == "localhost"
        if loopback:
            return None
        secrets = [
            ("KINERJA_WEB_SESSION_SECRET", self.session_secret, DEV_SESSION_SECRET),
            ("KINERJA_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET),
        ]
        if self.oidc_client_secret:
            secrets.append(("KINERJA_WEB_OIDC_CLIENT_SECRET", self.oidc_client_secret, ""))
        for name, value, builtin in secrets:
            if value == builtin:
                return f"{name} is the built-in development secret"
            if "REPLACE-ME" in value.upper():
                return f"{name} is still the deployment template's placeholder"
            if name != "KINERJA_WEB_OIDC_CLIENT_SECRET" and len(value) < 32:
                return f"{name} is shorter than 32 characters"
        return None
