"""The service as a whole: schema matches models, probes, an HTTP SMS provider, and logs free of secrets."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from antre_common.logs import JsonFormatter
from antre_common.testing import wait_until
from notification.models import Base


def service_logging():
    """The LOGGING section of config.yaml, as ``nameko run`` reads it."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(Path(__file__).resolve().parents[2] / "config.yaml") as f:
        return yaml.safe_load(f)["LOGGING"]


def test_migrations_and_models_do_not_drift(config):
    engine = create_engine(config["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_probes_answer(notification, internal_client):
    ready = internal_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["components"] == {"broker": "ok", "database": "ok"}
    assert internal_client.get("/healthz").status_code == 200
    assert "antre_notification_entrypoint_calls_total" in internal_client.get("/metrics").text


class SmsGateway:
    """A tiny SMS provider: records each request; answers 503 ``failures`` times, then 200 with an id."""

    def __init__(self, failures=0):
        self.requests, self.failures = [], failures
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                gateway.requests.append((self.headers["Authorization"], json.loads(self.rfile.read(length))))
                if gateway.failures > 0:
                    gateway.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                payload = json.dumps({"id": f"gw-{len(gateway.requests)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway():
    gateway = SmsGateway(failures=2)
    yield gateway
    gateway.close()


def test_http_sms_provider_gets_the_text_with_its_key_and_is_retried_on_503(
    start_notification, peers, sms_gateway, delivery_log, world
):
    bus = start_notification(SMS_PROVIDER="http", SMS_HTTP_URL=sms_gateway.url, SMS_HTTP_KEY="k-123")
    envelope = bus.publish("identity", "otp_requested", world.otp_data(channel="sms", otp="550071"))
    [row] = wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="sent"))
    assert row["attempts"] == 3 and row["provider_id"] == "gw-3"
    assert len(sms_gateway.requests) == 3
    auth, payload = sms_gateway.requests[-1]
    assert auth == "Bearer k-123"
    assert payload["to"] == world.CITIZEN["phone"]
    assert "550071" in payload["text"] and "WhatsApp" in payload["text"]
    assert payload["reference"] == str(row["id"])


def test_logs_of_a_full_run_hold_no_code_no_contact_data_and_no_message_body(
    bus, smtp_sink, delivery_log, world, caplog
):
    # The chattiest level, with the floors config.yaml sets for loggers that would print RPC replies.
    caplog.set_level(logging.DEBUG)
    for name, settings in service_logging()["loggers"].items():
        caplog.set_level(settings["level"], logger=name)
    otp_mail = bus.publish("identity", "otp_requested", world.otp_data(otp="902211"), handler="on_otp_requested")
    bus.publish("identity", "otp_requested", world.otp_data(channel="sms", otp="377046"), handler="on_otp_requested")
    booking = world.booking_data()
    bus.publish("scheduling", "booking_created", booking, handler="on_booking_created")
    smtp_sink.stop()  # failures and retries log too
    outage = bus.publish("identity", "otp_requested", world.otp_data(otp="640198"), handler="on_otp_requested")
    wait_until(lambda: delivery_log.rows(event_id=outage["event_id"])[0]["attempts"] >= 2)
    smtp_sink.start()
    wait_until(lambda: delivery_log.rows(event_id=outage["event_id"], status="sent"))
    bus.publish("identity", "otp_requested", {"otp_sealed": "123987", "channel": "x"}, handler="on_otp_requested")
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Event-Id"] == otp_mail["event_id"])

    formatter = JsonFormatter()
    logs = "\n".join(formatter.format(record) for record in caplog.records)
    assert "delivery sent" in logs and "delivery failed, will retry" in logs  # the run was logged
    citizen = world.CITIZEN
    for secret in ("902211", "377046", "640198", "123987", world.NIK, citizen["full_name"], citizen["email"]):
        assert secret not in logs, secret
    assert citizen["phone"] not in logs and citizen["phone"][1:] not in logs
    body_lines = [line for line in mail.get_content().splitlines() if len(line) > 20]
    assert body_lines
    for line in body_lines:
        assert line not in logs, line


def metric_value(text_, name):
    for line in text_.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not exported")


def test_the_backlog_is_exported_while_smtp_is_down(bus, smtp_sink, internal_client, delivery_log, world):
    smtp_sink.stop()
    envelope = bus.publish("identity", "otp_requested", world.otp_data(), handler="on_otp_requested")
    wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"])[0]["attempts"] >= 2)

    def exported_backlog():
        metrics = internal_client.get("/metrics").text
        return metric_value(metrics, "antre_notification_pending_deliveries") and metrics

    metrics = wait_until(exported_backlog)  # the next timer tick exports it
    assert metric_value(metrics, "antre_notification_pending_deliveries") == 1
    assert metric_value(metrics, "antre_notification_oldest_pending_seconds") > 0
    smtp_sink.start()
    wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="sent"))
    wait_until(lambda: metric_value(internal_client.get("/metrics").text, "antre_notification_pending_deliveries") == 0)


def test_housekeeping_forgets_old_final_deliveries_only(bus, smtp_sink, delivery_log, world):
    old = bus.publish(
        "identity", "user_registered", {"user_id": world.CITIZEN["user_id"]}, handler="on_user_registered"
    )
    new = bus.publish(
        "identity", "user_registered", {"user_id": world.VISITOR["user_id"]}, handler="on_user_registered"
    )
    with delivery_log.engine.begin() as conn:
        conn.execute(
            text("UPDATE delivery SET updated_at = now() - interval '91 days' WHERE event_id = :e"),
            {"e": old["event_id"]},
        )
    with entrypoint_hook(bus.container, "housekeeping") as housekeeping:
        assert housekeeping() == 1
    assert delivery_log.rows(event_id=old["event_id"]) == []
    assert len(delivery_log.rows(event_id=new["event_id"])) == 1
