"""Settings shared by every service, read from environment variables with the ``KINERJA_`` prefix.

Each variable is documented in docs/configuration.md; ``python -m tools.contracts check`` fails
when a field here has no row there.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "change-me-in-production-please-32b"
"""The built-in secret: good for a laptop, where tokens never leave 127.0.0.1."""
MIN_SECRET_LENGTH = 32
"""Shortest secret accepted on a listening address beyond loopback (RFC 7518 3.2: HS256 keys of
at least 256 bits)."""
DEV_SUBMISSION_SECRET = "development-submission-secret-32b"
"""The built-in key of submission ids: good for a laptop, where nobody else reads the audit."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Settings(BaseSettings):
    """Configuration of one service process."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore")

    kafka_bootstrap: str = Field("127.0.0.1:19092", description="Kafka bootstrap servers, comma separated.")
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description=(
            "How services connect to Kafka: `PLAINTEXT` (the local stack), or SASL, which a broker"
            ' with ACLs needs (docs/deployment.md, "Kafka ACLs"); `SASL_SSL` adds TLS.'
        ),
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism, when the protocol is SASL."
    )
    kafka_username: str = Field("", description="SASL user of this service (one per service, for ACLs).")
    kafka_password: str = Field("", description="SASL password of this service.")
    mongo_url: str = Field("mongodb://127.0.0.1:27018", description="MongoDB (or FerretDB) connection URL.")
    db_prefix: str = Field(
        "kinerja", description="Database name prefix; each service uses `<prefix>_<service>`."
    )
    topic_prefix: str = Field(
        "",
        description=(
            "Prefix put before every topic name (and consumer group), to share one cluster between"
            " environments. A prefix that does not end in `.`, `-` or `_` gets a `.`: `acme` and"
            " `acme.` both give `acme.kinerja.feedback.inputs.v1`."
        ),
    )
    create_topics: bool = Field(
        True,
        description=(
            "Create the service's topics (and the dead-letter topic of each it reads) at start-up"
            " when they are missing, before anything is published. Off where the service's Kafka"
            " user may not create topics; the topics job of deploy/ creates them there."
        ),
    )
    topic_partitions: int = Field(
        12,
        description=(
            "Partitions of a topic a service creates (docs/scale-out.md: 12 lets a consumer group"
            " grow to 12 replicas); 0 takes the broker's default."
        ),
        ge=0,
    )
    topic_replication: int = Field(
        0, description="Replication factor of a topic a service creates; 0 takes the broker's default.", ge=0
    )
    http_host: str = Field("127.0.0.1", description="Address the HTTP API listens on.")
    http_port: int = Field(0, description="HTTP port; 0 means the service's default port.")
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    jwt_secret: str = Field(
        DEV_JWT_SECRET,
        description=(
            "HMAC secret that signs and verifies bearer tokens (HS256). A service listening beyond"
            " 127.0.0.1 refuses to start with the built-in one, a placeholder or one shorter than 32"
            " characters (`openssl rand -hex 32`)."
        ),
    )
    jwt_issuer: str = Field("kinerja", description="Expected `iss` claim of bearer tokens.")
    submission_secret: str = Field(
        DEV_SUBMISSION_SECRET,
        description=(
            "Key of the HMAC that makes feedback submission ids (feedback service). Without it an id"
            " could be recomputed from the cycle, the ratee and a colleague's NIP, naming the rater."
            " The feedback service listening beyond 127.0.0.1 refuses to start with the built-in"
            " one, a placeholder or one shorter than 32 characters (`openssl rand -hex 32`)."
            " Changing it gives later resubmissions new ids: change it only between cycles."
        ),
    )
    trusted_proxies: str = Field(
        "",
        description=(
            "Comma-separated addresses or networks (CIDR) of reverse proxies whose"
            " `X-Forwarded-For` and `X-Forwarded-Proto` headers are believed (`*` for any). Empty:"
            " the headers are"
            " ignored and the client is the peer address, so a client cannot pick the address"
            " that the citizen rate limit counts."
        ),
    )
    consumer_batch: int = Field(500, description="Most records a consumer takes from Kafka at once.")
    retry_initial_s: float = Field(0.2, description="First back-off delay after a transient error.")
    retry_max_s: float = Field(5.0, description="Longest back-off delay between retries.")
    retry_budget_s: float = Field(
        60.0,
        description="How long a batch is retried before it is handed back to Kafka for redelivery.",
    )
    outbox_sweep_s: float = Field(
        300.0,
        description=(
            "How often the outbox relay sweeps for events left unpublished (it also sweeps at start;"
            " a sweep reads only the documents marked pending, through an index)."
        ),
    )
    reference_cache_s: float = Field(
        2.0,
        description=(
            "How long the feedback service reuses an employee or cycle it read to check a request;"
            " a change made through another replica is seen after at most this long, one made"
            " through the same process at once. 0 reads them from the database every time."
        ),
    )
    require_unit_predicates: str = Field(
        "",
        description=(
            "Comma-separated regions (or `*` for all) whose cycles close only with unit predicates"
            " (feedback service, `422 unit-predicates-required`). Elsewhere a close without them"
            " is accepted with a warning, since no distribution curve can then be checked."
        ),
    )
    otel_exporter: Literal["none", "otlp", "console"] = Field(
        "none",
        description=(
            "Where OpenTelemetry traces go: `none` (no spans are made), `otlp` (OTLP over HTTP to"
            " `KINERJA_OTEL_ENDPOINT`) or `console` (printed to stdout, for a laptop)."
        ),
    )
    otel_endpoint: str = Field(
        "",
        description=(
            "OTLP/HTTP traces URL, e.g. `http://otel-collector:4318/v1/traces`; empty takes the"
            " exporter's own default (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else localhost:4318)."
        ),
    )
    max_body_bytes: int = Field(1_048_576, description="Largest accepted HTTP request body.")
    bulk_max_body_bytes: int = Field(
        20_971_520, description="Largest accepted body for bulk employee imports."
    )

    @field_validator("topic_prefix")
    @classmethod
    def _separated(cls, prefix: str) -> str:
        return prefix if not prefix or prefix.endswith((".", "-", "_")) else prefix + "."

    def secret_problem(self, service: str | None = None) -> str | None:
        """Why a secret must not guard an API reachable from other machines, if it must not.

        Anyone who knows the JWT secret can mint a token for any role of any region, and anyone
        who knows the submission secret can tell which colleague gave a peer rating from its id.
        So the built-in ones, an unreplaced placeholder of the deployment templates and short ones
        are refused unless the API listens on loopback only. The submission secret is checked for
        the feedback service, the only one that uses it.
        """
        if self.http_host in LOOPBACK:
            return None
        secrets = [("KINERJA_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET)]
        if service == "feedback":
            secrets.append(("KINERJA_SUBMISSION_SECRET", self.submission_secret, DEV_SUBMISSION_SECRET))
        for name, value, builtin in secrets:
            if value == builtin:
                return f"{name} is the built-in development secret"
            if "REPLACE-ME" in value.upper():
                return f"{name} is still the deployment template's placeholder"
            if len(value) < MIN_SECRET_LENGTH:
                return f"{name} is shorter than {MIN_SECRET_LENGTH} characters"
        return None

    def forwarded_allow_ips(self) -> list[str]:
        """The proxies whose forwarding headers uvicorn believes; none unless configured."""
        return [ip.strip() for ip in self.trusted_proxies.split(",") if ip.strip()]

    def kafka_client_options(self) -> dict[str, Any]:
        """Keyword arguments of aiokafka clients (admin, consumer, producer) for this cluster."""
        if self.kafka_security_protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {
            "security_protocol": self.kafka_security_protocol,
            "sasl_mechanism": self.kafka_sasl_mechanism,
            "sasl_plain_username": self.kafka_username,
            "sasl_plain_password": self.kafka_password,
        }
        if self.kafka_security_protocol == "SASL_SSL":
            options["ssl_context"] = ssl.create_default_context()
        return options

    def topic(self, name: str) -> str:
        """Return the topic name as it exists on the cluster."""
        return f"{self.topic_prefix}{name}"

    def group(self, service: str) -> str:
        """Return the consumer group of ``service``.

        The topic prefix separates environments that share a cluster; their groups must differ too.
        """
        return f"{self.topic_prefix}kinerja-{service}"

    def database(self, service: str) -> str:
        """Return the database name of ``service``."""
        return f"{self.db_prefix}_{service}"
