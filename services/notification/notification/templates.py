"""What a message says: Jinja2 templates in Bahasa Indonesia and English, and the data they see.

Each message type has one template per language (``templates/<lang>/<type>.txt``) with the blocks
``subject`` and ``email`` (the mail) and ``sms`` (one short text). The renderer, not each template, appends
the footer (``_footer_email.txt`` / ``_footer_sms.txt``): the message's check code and where to check it,
the warning that Antre never asks for money or personal data by WhatsApp or phone, and the masked NIK. So no
message can go out without them (a context without a check code is refused).

The inbox line of a message is its subject and the ``summary`` block, or the SMS text when the template has
no ``summary``: a template whose SMS carries a one-time code or a name has its own ``summary`` without it.
"""

import math
from dataclasses import dataclass
from datetime import date as date_cls
from datetime import datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
DEFAULT_TIMEZONE = "Asia/Jakarta"


@dataclass(frozen=True)
class Rendered:
    subject: str | None  # the mail's subject (None for an SMS)
    body: str
    inbox: dict | None = None  # {subject, summary}: what the owner's inbox shows (never an OTP or a body)
    attachments: tuple = ()  # (filename, content type, bytes, content id) for the mail


def language_of(contact):
    lang = (contact.get("language") or DEFAULT_LANGUAGE).lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


class Renderer:
    def __init__(self):
        # Plain text: nothing to escape; StrictUndefined makes a missing field an error, not a blank.
        self.env = Environment(
            loader=PackageLoader("notification", "templates"),
            autoescape=False,  # noqa: S701 - text/plain mail and SMS, never HTML
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _block(self, template, name, context):
        return "".join(template.blocks[name](template.new_context(context))).strip()

    def render(self, message_type, channel, language, context):
        if not context.get("check_code"):
            raise ValueError("a message without a check code cannot be sent")
        template = self.env.get_template(f"{language}/{message_type}.txt")
        footer = self.env.get_template(f"{language}/_footer_{channel}.txt").render(context).strip()
        subject = " ".join(self._block(template, "subject", context).split())
        summary = self._block(template, "summary" if "summary" in template.blocks else "sms", context)
        inbox = {"subject": subject, "summary": " ".join(summary.split())}
        if channel == "sms":
            return Rendered(None, f"{self._block(template, 'sms', context)} {footer}", inbox)
        return Rendered(subject, f"{self._block(template, 'email', context)}\n\n{footer}\n", inbox)


# -- the data templates see ------------------------------------------------------------------------------


def _parse_date(value):
    if value is None or isinstance(value, date_cls):
        return value
    return date_cls.fromisoformat(str(value)[:10])


def local_slot(day, start, timezone, language):
    """(date text, time text) of a slot in the office's time zone: "Senin, 30 November 2026", "09:00 WIB".

    ``start`` is an office-local time ("09:00") with ``day``, or an ISO date-time with an offset."""
    tz = ZoneInfo(timezone or DEFAULT_TIMEZONE)
    if start and "T" in str(start):
        moment = datetime.fromisoformat(str(start))
        moment = moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)
    elif day is not None:
        clock = time.fromisoformat(str(start)) if start else time(0)
        moment = datetime.combine(_parse_date(day), clock, tzinfo=tz)
    else:
        return None, None
    date_text = format_date(moment.date(), format="full", locale=language)
    time_text = f"{moment:%H:%M} {moment.tzname()}" if start else None
    return date_text, time_text


def rupiah(amount, language):
    """Rp650.000 (Indonesian groups thousands with dots) / IDR 650,000; None without an amount."""
    if amount is None:
        return None
    return f"Rp{int(amount):,}".replace(",", ".") if language == "id" else f"IDR {int(amount):,}"


def build_context(
    message_type, data, contact, *, booking=None, office=None, service=None, now=None, check_code=None, check_url=None
):
    """Everything a template may use, every key present (None when unknown) for StrictUndefined."""
    language = language_of(contact)
    booking = booking or {}
    office = office or {}
    timezone = office.get("timezone")
    slot = {"date": data.get("date", booking.get("date")), "start": data.get("start", booking.get("start"))}
    if message_type == "booking_rescheduled":
        from notification.messages import new_slot, old_slot

        slot = new_slot(data)
        old = old_slot(data)
        old_date_text, old_time_text = local_slot(old["date"], old["start"], timezone, language)
    else:
        old_date_text = old_time_text = None
    date_text, time_text = local_slot(slot["date"], slot["start"], timezone, language)
    valid_minutes = None
    if data.get("expires_at") and now is not None:
        expires = datetime.fromisoformat(str(data["expires_at"]))
        valid_minutes = max(1, math.ceil((expires - now).total_seconds() / 60))
    documents = [d.get("name") or d.get("type") for d in (service or {}).get("required_documents", [])]
    payment = data.get("payment") or data  # booking_created carries {payment: …}; payment's events are flat
    deadline = payment.get("expires_at") if message_type in ("payment_due", "payment_reminder") else None
    deadline_date, deadline_time = local_slot(None, deadline, timezone, language) if deadline else (None, None)
    return {
        "language": language,
        "full_name": contact.get("full_name") or "",
        "nik_masked": contact.get("nik_masked") or "-",
        "otp": data.get("otp"),
        "purpose": data.get("purpose"),
        "valid_minutes": valid_minutes,
        "reservation_code": data.get("reservation_code") or booking.get("reservation_code"),
        "office_name": office.get("name"),
        "office_address": office.get("address"),
        "office_city": office.get("city"),
        "office_province": office.get("province"),
        "service_name": (service or {}).get("name"),
        "documents": documents,
        "date_text": date_text,
        "time_text": time_text,
        "old_date_text": old_date_text,
        "old_time_text": old_time_text,
        "reason": data.get("reason"),
        "hours_before": data.get("hours_before"),
        "ticket_number": data.get("ticket_number"),
        "counter": data.get("counter"),
        "doc_type": data.get("doc_type"),
        "billing_code": payment.get("billing_code"),
        "amount_text": rupiah(payment.get("amount"), language),
        "deadline_text": f"{deadline_date} {deadline_time}" if deadline else None,
        "deadline_time": deadline_time,
        "receipt_number": data.get("receipt_number"),
        "document_name": data.get("document_name") or data.get("doc_type"),
        "qr_attached": False,
        "check_code": check_code,
        "check_url": check_url,
        "check_site": (check_url or "").removeprefix("https://").removeprefix("http://"),
    }
