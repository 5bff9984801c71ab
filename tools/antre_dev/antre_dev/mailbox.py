"""The SMTP sink's folder as a mailbox: every mail the suite sent, parsed, for system and browser tests.

mailbox = Mailbox(stack.config.mail_dir)
[mail] = mailbox.wait_for(lambda m: m["To"] == "ayu@example.id")
"""

import email
from pathlib import Path

from antre_common.waiting import wait_until


def text_of(message):
    """Every text part of a mail, decoded: what the person reads."""
    parts = message.walk() if message.is_multipart() else [message]
    return "\n".join(
        p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
        for p in parts
        if p.get_content_maintype() == "text"
    )


class Mailbox:
    def __init__(self, directory: Path):
        self.directory = directory

    def messages(self):
        if not self.directory.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.directory.glob("*.eml"))]

    def wait_for(self, predicate, timeout=20):
        return wait_until(lambda: [m for m in self.messages() if predicate(m)], timeout, what="a matching mail")
