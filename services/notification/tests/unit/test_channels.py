"""Channel adapters without a server: configuration, the development SMS outbox, failure classes."""

import json
import socket

import pytest

from notification.channels import (
    FileSmsProvider,
    HttpSmsProvider,
    SmtpMailer,
    TemporaryFailure,
    sms_provider_from_config,
)
from notification.templates import Rendered


def test_file_provider_appends_one_json_line_per_sms(tmp_path):
    provider = FileSmsProvider(tmp_path / "sms" / "out.jsonl")
    first = provider.send("+62811", "Kode: 1", headers={"X-Antre-Message-Type": "otp"})
    second = provider.send("+62822", "Kode: 2")
    lines = [json.loads(line) for line in (tmp_path / "sms" / "out.jsonl").read_text().splitlines()]
    assert [(line["id"], line["to"], line["text"]) for line in lines] == [
        (first, "+62811", "Kode: 1"),
        (second, "+62822", "Kode: 2"),
    ]
    assert lines[0]["X-Antre-Message-Type"] == "otp"


def test_provider_from_config(tmp_path):
    assert isinstance(sms_provider_from_config({"SMS_OUTBOX_PATH": str(tmp_path / "x.jsonl")}), FileSmsProvider)
    http = sms_provider_from_config({"SMS_PROVIDER": "http", "SMS_HTTP_URL": "http://sms.local/", "SMS_HTTP_KEY": 42})
    assert isinstance(http, HttpSmsProvider) and http.key == "42"
    with pytest.raises(ValueError, match="SMS_HTTP_URL"):
        sms_provider_from_config({"SMS_PROVIDER": "http"})
    with pytest.raises(ValueError, match="file or http"):
        sms_provider_from_config({"SMS_PROVIDER": "carrier-pigeon"})


def test_smtp_config_and_message():
    mailer = SmtpMailer.from_config({"SMTP_HOST": "relay.local", "SMTP_PORT": 587, "SMTP_TLS": "STARTTLS"})
    assert (mailer.host, mailer.port, mailer.tls, mailer.user) == ("relay.local", 587, "starttls", "")
    msg = mailer.build("a@example.id", "Subjek", "Isi pesan é", language="id", headers={"X-Antre-Message-Type": "otp"})
    assert msg["Content-Language"] == "id" and msg["X-Antre-Message-Type"] == "otp"
    assert msg["Message-ID"].endswith("@antre.imigrasi.go.id>")
    assert "Isi pesan é" in msg.get_content()
    assert SmtpMailer.from_config({"SMTP_TLS": True}).tls == "starttls"  # YAML reads SMTP_TLS=true as a bool
    assert SmtpMailer.from_config({"SMTP_TLS": False}).tls == "none"
    assert SmtpMailer.from_config({"SMTP_TLS": "ssl"}).tls == "ssl"
    with pytest.raises(ValueError):
        SmtpMailer("h", 25, tls="maybe")


def test_an_unreachable_relay_is_a_temporary_failure():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailer = SmtpMailer("127.0.0.1", port, timeout=2)
    with pytest.raises(TemporaryFailure, match="smtp unreachable"):
        mailer.send("a@example.id", Rendered("s", "b"), language="id")
    with pytest.raises(TemporaryFailure, match="sms provider unreachable"):
        HttpSmsProvider(f"http://127.0.0.1:{port}/", "k", timeout=2).send("+62811", "x")
