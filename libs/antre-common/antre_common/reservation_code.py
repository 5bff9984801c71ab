"""Short codes that people read aloud and type: Crockford's base32 (no I, L, O, U), drawn from ``secrets``.
What a person might mishear or mistype is mapped back (O→0, I/L→1; spaces and dashes ignored).

Reservation codes, the public identifier of a booking (docs/contracts.md), are 8 characters (40 random
bits): short enough to read aloud over a counter, unguessable, unique (scheduling's database constraint; a
collision is retried). An identifier format like a UUID, so it lives here: scheduling makes codes, and every
service that is handed one reads it with ``normalise``. Notification's check codes use the same format with
10 characters (``CodeFormat(10, group=5)``).
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CodeFormat:
    def __init__(self, length, group):
        self.length = length
        self.group = group

    def new(self):
        return "".join(secrets.choice(ALPHABET) for _ in range(self.length))

    def normalise(self, text):
        """The canonical form of what someone typed or read out ("k7qd-m2xp" → "K7QDM2XP"); None if impossible."""
        if not isinstance(text, str):
            return None
        value = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
        if len(value) != self.length or any(c not in ALPHABET for c in value):
            return None
        return value

    def display(self, code):
        """Grouped for reading aloud: K7QD-M2XP."""
        return "-".join(code[i : i + self.group] for i in range(0, len(code), self.group))


RESERVATION = CodeFormat(8, group=4)
LENGTH = RESERVATION.length
new_code = RESERVATION.new
normalise = RESERVATION.normalise
display = RESERVATION.display
