"""The SMTP sink's folder as a mailbox: every mail the suite sent, parsed, for system and browser tests.

mailbox = Mailbox(stack.config.mail_dir)
[mail] = mailbox.wait_for(lambda m: m["To"] == "ayu@example.id")
"""

import email
import time
from pathlib import Path


class Mailbox:
    def __init__(self, directory: Path):
        self.directory = directory

    def messages(self):
        if not self.directory.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.directory.glob("*.eml"))]

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages() if predicate(m)]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no matching mail within {timeout}s")
