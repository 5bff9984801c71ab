"""How a message leaves: email over SMTP, SMS through a provider adapter.

Each sender returns the provider's id of the message, raises ``TemporaryFailure`` when trying again later
may work (relay down, 4xx, timeout) and ``PermanentFailure`` when it cannot (address refused, 4xx from an SMS
provider). Error texts name the cause, never the address or the message.
"""

import json
import os
import smtplib
import ssl
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import requests

from antre_common.envelope import utcnow
from notification.settings import Settings


class DeliveryFailure(Exception):
    retry = False


class TemporaryFailure(DeliveryFailure):
    retry = True


class PermanentFailure(DeliveryFailure):
    pass


class Unreachable(TemporaryFailure):
    """The relay, provider or service itself is down (not this one message): the rest of a pass skips it."""


def _text(value):
    """Config values pass through YAML: an empty variable is None, a numeric one an int."""
    return "" if value is None else str(value)


class SmtpMailer:
    """``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_TLS`` (none | starttls | ssl), ``SMTP_USER``, ``SMTP_PASSWORD``,
    ``SMTP_CA_FILE``, ``MAIL_FROM``, ``SMTP_TIMEOUT_SECONDS``."""

    def __init__(
        self,
        host,
        port,
        *,
        tls=Settings.smtp_tls,
        user=None,
        password=None,
        ca_file=None,
        sender=None,
        timeout=None,
        pool_size=None,
        keep_seconds=None,
    ):
        self.host, self.port = host, int(port)
        tls = (_text(tls) or Settings.smtp_tls).lower()
        # A yes/no setting means STARTTLS or not (port 587 relays); implicit TLS (465) is "ssl".
        self.tls = {"true": "starttls", "yes": "starttls", "1": "starttls", "false": "none", "no": "none"}.get(tls, tls)
        if self.tls not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP_TLS must be none, starttls or ssl, not {tls!r}")
        self.user, self.password = _text(user), _text(password)
        self.ca_file = _text(ca_file)
        self.sender = _text(sender) or Settings.mail_from
        self.timeout = float(timeout or Settings.smtp_timeout_seconds)
        # Connections kept open between messages: (client, when it was last used). A connection (and in
        # production its TLS handshake and login) per message cost more than the message itself.
        self.pool_size = Settings.smtp_pool_size if pool_size is None else int(pool_size)
        self.keep_seconds = float(Settings.smtp_keep_seconds if keep_seconds is None else keep_seconds)
        self._idle = []

    @classmethod
    def from_config(cls, config):
        settings = Settings.from_config(config)
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
            sender=settings.mail_from,
            timeout=settings.smtp_timeout_seconds,
            pool_size=settings.smtp_pool_size,
            keep_seconds=settings.smtp_keep_seconds,
        )

    def build(self, to, subject, body, *, language, headers=None, attachments=()):
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1].strip("> ") or "antre.local")
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(body)
        for filename, content_type, data, content_id in attachments:
            maintype, _, subtype = content_type.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, cid=f"<{content_id}>")
        # After set_content and add_attachment, which move the Content-* headers to the parts.
        msg["Content-Language"] = language
        return msg

    def send(self, to, rendered, *, language, headers=None):
        msg = self.build(
            to, rendered.subject, rendered.body, language=language, headers=headers, attachments=rendered.attachments
        )
        try:
            client, reused = self._acquire()
            try:
                client.send_message(msg)
            except OSError as exc:  # smtplib's errors included
                # A kept connection the relay closed meanwhile (idle timeout, restart, 421) fails at MAIL,
                # before any of the message went out: a new connection sends it, once. A failure after MAIL
                # is not retried here (the relay may have taken the message).
                _close(client)
                if not (reused and client.stage == "mail" and _closed_by_relay(exc)):
                    raise
                client, _ = self._connect(), False
                client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            failure = TemporaryFailure if all(400 <= c < 500 for c in codes) else PermanentFailure
            raise failure(f"smtp recipient refused {codes}") from None
        except smtplib.SMTPResponseException as exc:
            failure = TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                failure = TemporaryFailure  # our configuration, not the citizen's address: keep the message
            raise failure(f"smtp {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise Unreachable(f"smtp unreachable: {type(exc).__name__}") from None
        self._release(client)
        return msg["Message-ID"]

    def _tls(self):
        """Certificate and host name verified, always: against ``SMTP_CA_FILE`` if set, else the system's CAs."""
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self):
        if self.tls == "ssl":
            client = _SslClient(self.host, self.port, timeout=self.timeout, context=self._tls())
        else:
            client = _Client(self.host, self.port, timeout=self.timeout)
        try:
            if self.tls == "starttls":
                client.starttls(context=self._tls())
            if self.user:
                client.login(self.user, self.password)
        except BaseException:
            _close(client)
            raise
        return client

    def _acquire(self):
        """``(client, reused)``: a kept connection used less than ``keep_seconds`` ago, or a new one."""
        now = time.monotonic()
        while self._idle:
            client, last_used = self._idle.pop()
            if now - last_used < self.keep_seconds:
                client.stage = None
                return client, True
            _quit(client)
        return self._connect(), False

    def _release(self, client):
        """Keep the connection for the next message, or say goodbye when enough are kept already."""
        if len(self._idle) < self.pool_size:
            self._idle.append((client, time.monotonic()))
        else:
            _quit(client)

    def close(self):
        while self._idle:
            _quit(self._idle.pop()[0])


class _Staged:
    """Remembers the last envelope step, to tell a connection found closed at MAIL from a later failure."""

    stage = None

    def mail(self, *args, **kwargs):
        self.stage = "mail"
        return super().mail(*args, **kwargs)

    def rcpt(self, *args, **kwargs):
        self.stage = "rcpt"
        return super().rcpt(*args, **kwargs)

    def data(self, *args, **kwargs):
        self.stage = "data"
        return super().data(*args, **kwargs)


class _Client(_Staged, smtplib.SMTP):
    pass


class _SslClient(_Staged, smtplib.SMTP_SSL):
    pass


def _closed_by_relay(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # "service not available, closing transmission channel"
    return isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException)


def _close(client):
    try:
        client.close()
    except OSError:
        pass


def _quit(client):
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        _close(client)


class FileSmsProvider:
    """Development: each SMS is one JSON line in ``SMS_OUTBOX_PATH`` (what a phone would have received)."""

    name = "file"
    _lock = threading.Lock()

    def __init__(self, path):
        self.path = Path(path)

    def send(self, to, text, *, headers=None):
        message_id = f"file-{uuid.uuid4()}"
        line = json.dumps(
            {"id": message_id, "to": to, "text": text, "sent_at": utcnow().isoformat(), **(headers or {})},
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, open(self.path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise TemporaryFailure(f"sms outbox not writable: {type(exc).__name__}") from None
        return message_id


class HttpSmsProvider:
    """An SMS gateway with a JSON API: ``POST SMS_HTTP_URL {"to", "text", "reference"}`` with
    ``Authorization: Bearer SMS_HTTP_KEY``; answers 2xx ``{"id": ...}`` (or ``message_id``)."""

    name = "http"

    def __init__(self, url, key, timeout=Settings.sms_timeout_seconds):
        if not url:
            raise ValueError("SMS_PROVIDER=http needs SMS_HTTP_URL")
        self.url, self.key, self.timeout = url, _text(key), float(timeout)
        self.session = requests.Session()

    def send(self, to, text, *, headers=None):
        reference = (headers or {}).get("X-Antre-Delivery-Id")
        try:
            response = self.session.post(
                self.url,
                json={"to": to, "text": text, "reference": reference},
                headers={"Authorization": f"Bearer {self.key}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise Unreachable(f"sms provider unreachable: {type(exc).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise TemporaryFailure(f"sms provider {status}")
        if status >= 400:
            raise PermanentFailure(f"sms provider {status}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return str(body.get("id") or body.get("message_id") or reference or "")


def sms_provider_from_config(config):
    settings = Settings.from_config(config)
    kind = settings.sms_provider
    if kind == "http":
        return HttpSmsProvider(settings.sms_http_url, settings.sms_http_key, settings.sms_timeout_seconds)
    if kind == "file":
        return FileSmsProvider(settings.sms_outbox_path)
    raise ValueError(f"SMS_PROVIDER must be file or http, not {kind!r}")
