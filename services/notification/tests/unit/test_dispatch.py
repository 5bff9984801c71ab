"""One attempt's decisions, with stand-ins for identity, scheduling and the channels (no broker, no DB)."""

import uuid
from types import SimpleNamespace

from antre_common.errors import ServiceUnavailable
from notification.channels import Unreachable
from notification.checkcodes import CheckCodes
from notification.dispatch import Dispatcher
from notification.settings import Settings
from notification.templates import Renderer

CODES = CheckCodes("a" * 43, "t1:" + "b" * 43)
CONTACT = {"user_id": "u", "full_name": "Siti", "email": "s@example.id", "phone": "+62811", "nik_masked": "3171****"}


class Calls:
    def __init__(self, answer):
        self.count, self.answer = 0, answer

    def __call__(self, *args, **kwargs):
        self.count += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def item(channel="email", message_type="welcome", data=None):
    delivery_id = str(uuid.uuid4())
    return {
        "id": delivery_id,
        "check_sealed": CODES.issue(delivery_id)[1],
        "event_id": str(uuid.uuid4()),
        "message_type": message_type,
        "channel": channel,
        "user_id": str(uuid.uuid4()),
        "booking_id": None,
        "attempts": 1,
        "data": data or {},
    }


def dispatcher(get_contact, send_mail=None, send_sms=None):
    deps = SimpleNamespace(
        identity=SimpleNamespace(get_contact=get_contact),
        scheduling=SimpleNamespace(),
        mailer=SimpleNamespace(send=send_mail or Calls("<id@antre>")),
        sms=SimpleNamespace(send=send_sms or Calls("sms-1")),
        renderer=Renderer(),
        codes=CODES,
    )
    return Dispatcher(db=None, deps=deps, settings=Settings())


def test_identity_down_costs_one_timeout_per_pass_not_one_per_message():
    get_contact = Calls(ServiceUnavailable("no reply in time", service="identity"))
    d = dispatcher(get_contact)
    outcomes = [d.attempt(item()) for _ in range(5)]
    assert {(o.status, o.error) for o in outcomes} == {("retry", "identity unavailable")}
    assert get_contact.count == 1


def test_a_relay_that_is_down_is_tried_once_per_pass_and_sms_still_goes():
    send_mail = Calls(Unreachable("smtp unreachable: ConnectionRefusedError"))
    send_sms = Calls("sms-1")
    d = dispatcher(Calls(CONTACT), send_mail, send_sms)
    mails = [d.attempt(item("email")) for _ in range(3)]
    sms = d.attempt(item("sms"))
    assert [o.status for o in mails] == ["retry"] * 3 and send_mail.count == 1
    assert (sms.status, sms.provider_id) == ("sent", "sms-1")


def test_one_lookup_of_a_contact_serves_both_channels_of_an_event():
    get_contact = Calls(CONTACT)
    d = dispatcher(get_contact)
    first = item("email")
    assert d.attempt(first).status == "sent"
    assert d.attempt(dict(item("sms"), event_id=first["event_id"], user_id=first["user_id"])).status == "sent"
    assert get_contact.count == 1


def test_no_phone_means_skipped_not_failed():
    d = dispatcher(Calls(dict(CONTACT, phone=None)))
    outcome = d.attempt(item("sms"))
    assert (outcome.status, outcome.error) == ("skipped", "no_address")
