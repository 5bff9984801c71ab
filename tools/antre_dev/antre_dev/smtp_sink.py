"""An SMTP server for development and tests that keeps every mail it receives as a ``.eml`` file.

python -m antre_dev.smtp_sink --port 1025 --dir var/mail
"""

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, self.directory / name)  # readers never see half a mail
        return "250 OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_PORT", 1025)))
    parser.add_argument("--dir", default=os.environ.get("MAIL_DIR", "var/mail"))
    args = parser.parse_args()
    controller = Controller(SaveToDir(args.dir), hostname=args.host, port=args.port)
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
