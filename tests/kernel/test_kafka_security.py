"""SASL settings reach every Kafka client the services make (a broker with ACLs needs them)."""

from __future__ import annotations

import ssl

from faststream.security import SASLPlaintext, SASLScram512

from shared.runtime import broker_security
from shared.settings import Settings


def test_plaintext_adds_nothing() -> None:
    settings = Settings()
    assert settings.kafka_client_options() == {} and broker_security(settings) is None


def test_sasl_settings_become_aiokafka_options_and_faststream_security() -> None:
    scram = Settings(
        kafka_security_protocol="SASL_SSL", kafka_username="scoring", kafka_password="s3cret-s3cret"
    )
    options = scram.kafka_client_options()
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "scoring",
        "sasl_plain_password": "s3cret-s3cret",
    }
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    security = broker_security(scram)
    assert isinstance(security, SASLScram512) and security.use_ssl
    plain = Settings(
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN", kafka_username="u"
    )
    assert isinstance(broker_security(plain), SASLPlaintext)
    assert "ssl_context" not in plain.kafka_client_options()
