"""Reservation codes, the public identifier of a booking (docs/contracts.md): 8 characters of Crockford's
base32 (no I, L, O, U), 40 random bits.

Short enough to read aloud over a counter, unambiguous (what a person might mishear or mistype is mapped
back: O→0, I/L→1), unguessable (secrets), unique (scheduling's database constraint; a collision is retried).
An identifier format like a UUID, so it lives here: scheduling makes codes, and every service that is handed
one reads it with ``normalise``.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code):
    """The canonical form of what someone typed or read out ("k7qd-m2xp" → "K7QDM2XP"); None if impossible."""
    if not isinstance(code, str):
        return None
    value = code.upper().replace("-", "").replace(" ", "").translate(_CONFUSABLE)
    if len(value) != LENGTH or any(c not in ALPHABET for c in value):
        return None
    return value


def display(code):
    """Grouped for reading aloud: K7QD-M2XP."""
    return f"{code[:4]}-{code[4:]}"
