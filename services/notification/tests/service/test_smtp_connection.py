"""The mailer keeps its SMTP connection open between messages, against the real SMTP sink: reused while it
lives, reopened when the relay closed it, and every message in the sink exactly once."""

import pytest

from notification.channels import SmtpMailer
from notification.templates import Rendered


def send(mailer, subject):
    return mailer.send("siti.rahmawati@example.id", Rendered(subject, "Isi pesan"), language="id")


def subjects(smtp_sink):
    """Every mail in the sink: it writes a mail before it answers 250, so a sent message is there already."""
    return sorted(m["Subject"] for m in smtp_sink.messages())


def test_one_connection_carries_the_next_messages(smtp_sink):
    mailer = SmtpMailer(smtp_sink.host, smtp_sink.port, timeout=5)
    send(mailer, "Pesan 1")
    [(kept, _)] = mailer._idle
    send(mailer, "Pesan 2")
    assert [client for client, _ in mailer._idle] == [kept]  # the same connection, not a new one
    assert subjects(smtp_sink) == ["Pesan 1", "Pesan 2"]
    mailer.close()
    assert mailer._idle == []


def test_a_kept_connection_the_relay_closed_is_reopened_and_the_message_sent_once(smtp_sink):
    mailer = SmtpMailer(smtp_sink.host, smtp_sink.port, timeout=5)
    send(mailer, "Sebelum")
    [(kept, _)] = mailer._idle
    smtp_sink.stop()  # the relay restarts: the connection we keep is closed by its side
    smtp_sink.start()
    send(mailer, "Sesudah")
    [(fresh, _)] = mailer._idle
    assert fresh is not kept
    assert subjects(smtp_sink) == ["Sebelum", "Sesudah"]  # once each
    mailer.close()


def test_a_connection_idle_too_long_is_not_reused(smtp_sink):
    mailer = SmtpMailer(smtp_sink.host, smtp_sink.port, timeout=5, keep_seconds=0)
    send(mailer, "Pertama")
    [(first, _)] = mailer._idle
    send(mailer, "Kedua")
    [(second, _)] = mailer._idle
    assert second is not first
    assert subjects(smtp_sink) == ["Kedua", "Pertama"]
    mailer.close()


# -- a relay like production's: STARTTLS required, then AUTH LOGIN (issue 17) ------------------------------

RELAY_USER, RELAY_PASSWORD = "antre-relay", "sandi relay yang panjang"  # noqa: S105 - test values


def self_signed(directory, names=("localhost",), addresses=()):
    """A fresh key and self-signed certificate (its own CA) for the relay: ``(cert_file, key_file)``."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.pem", directory / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def tls_relay(tmp_path):
    """A real SMTP relay (antre_dev.smtp_sink in its own process) that requires STARTTLS and then AUTH LOGIN
    (PLAIN not offered), with a certificate made for this test."""
    from antre_common.testing import SmtpSink

    cert = self_signed(tmp_path)
    relay = SmtpSink(tmp_path / "mail", tls=cert, user=RELAY_USER, password=RELAY_PASSWORD, auth="LOGIN").start()
    relay.ca_file = str(cert[0])
    yield relay
    relay.stop()


def relay_config(relay, **overrides):
    """Notification's own settings, as config.yaml would hand them over."""
    return {
        **{"SMTP_HOST": "localhost", "SMTP_PORT": relay.port, "SMTP_TLS": "starttls", "SMTP_TIMEOUT_SECONDS": 5},
        **{"SMTP_USER": RELAY_USER, "SMTP_PASSWORD": RELAY_PASSWORD, "SMTP_CA_FILE": relay.ca_file},
        **overrides,
    }


def test_mail_goes_over_starttls_with_login_to_a_relay_that_requires_both(tls_relay):
    mailer = SmtpMailer.from_config(relay_config(tls_relay))
    send(mailer, "Lewat TLS 1")
    send(mailer, "Lewat TLS 2")  # on the kept connection: still encrypted and logged in
    mails = tls_relay.wait_for(lambda m: m["Subject"].startswith("Lewat TLS"), count=2)
    for mail in mails:
        assert mail["X-Sink-TLS"] not in (None, "none")  # the session was encrypted before MAIL
        assert mail["X-Sink-Auth"] == f"LOGIN {RELAY_USER}"
    mailer.close()


def test_a_relay_whose_certificate_is_not_trusted_or_not_for_its_name_gets_nothing(tls_relay):
    from notification.channels import Unreachable

    # The system's CAs only; an address the certificate does not name (it names "localhost" alone).
    for overrides in ({"SMTP_CA_FILE": ""}, {"SMTP_HOST": "127.0.0.1"}):
        mailer = SmtpMailer.from_config(relay_config(tls_relay, **overrides))
        with pytest.raises(Unreachable):
            send(mailer, "Tidak terkirim")
    assert tls_relay.messages() == []


def test_a_wrong_password_or_no_tls_is_refused_and_the_message_kept_for_a_retry(tls_relay):
    from notification.channels import DeliveryFailure

    for overrides in ({"SMTP_PASSWORD": "bukan sandinya"}, {"SMTP_TLS": "none"}):
        mailer = SmtpMailer.from_config(relay_config(tls_relay, **overrides))
        with pytest.raises(DeliveryFailure) as failed:
            send(mailer, "Tidak terkirim")
        assert failed.value.retry, overrides  # our configuration, not the citizen's address
    assert tls_relay.messages() == []
