"""An SMTP server for development and tests that keeps every mail it receives as a ``.eml`` file.

python -m antre_dev.smtp_sink --port 1025 --dir var/mail

Like a production relay when asked (``--tls-cert``/``--tls-key``: STARTTLS required before anything else;
``--user`` with the password in ``SMTP_SINK_PASSWORD``: AUTH required, by ``--auth`` mechanisms only). Each
saved mail then starts with ``X-Sink-TLS`` and ``X-Sink-Auth`` headers saying how it came in.
"""

import argparse
import asyncio
import os
import ssl
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SaveToDir:
    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        how = b""
        if server.tls_context is not None or server._authenticator is not None:
            tls = session.ssl.get("cipher", ("",))[0] if session.ssl else "none"
            auth = getattr(session, "sink_auth", "none")
            how = f"X-Sink-TLS: {tls}\r\nX-Sink-Auth: {auth}\r\n".encode()
        tmp.write_bytes(how + (envelope.original_content or envelope.content))
        os.replace(tmp, self.directory / name)  # readers never see half a mail
        return "250 OK"


class Accounts:
    """One login (``user``, ``password``) for the relay; records which mechanism and user got in."""

    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        if ok:
            session.sink_auth = f"{mechanism} {self.user.decode()}"
        return AuthResult(success=ok, handled=False)


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_PORT", 1025)))
    parser.add_argument("--dir", default=os.environ.get("MAIL_DIR", "var/mail"))
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--user")
    parser.add_argument("--auth", default="LOGIN,PLAIN", help="mechanisms offered, comma-separated")
    args = parser.parse_args()
    relay = {}
    if args.tls_cert:
        relay.update(tls_context=tls_context(args.tls_cert, args.tls_key), require_starttls=True)
    if args.user:
        offered = {m.strip().upper() for m in args.auth.split(",")}
        accounts = Accounts(args.user, os.environ.get("SMTP_SINK_PASSWORD", ""))
        relay.update(authenticator=accounts, auth_required=True, auth_require_tls=bool(args.tls_cert))
        relay["auth_exclude_mechanism"] = sorted({"LOGIN", "PLAIN"} - offered)
    controller = Controller(SaveToDir(args.dir), hostname=args.host, port=args.port, **relay)
    controller.start()
    print(f"smtp sink on {args.host}:{args.port}, mail in {args.dir}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
