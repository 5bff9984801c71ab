"""The mailer keeps its SMTP connection open between messages, against the real SMTP sink: reused while it
lives, reopened when the relay closed it, and every message in the sink exactly once."""

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
