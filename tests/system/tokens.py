"""Access tokens for system tests, signed with the stack's development key exactly as identity signs them
(claims of docs/contracts.md), so a part can be tested through the gateway without the sign-up flow.

    from .tokens import bearer
    gateway.get("/api/v1/bookings", headers=bearer(stack, citizen()))
"""

import secrets
import time
import uuid

import jwt


def citizen(user_id=None, person_ref=None):
    return {"sub": user_id or str(uuid.uuid4()), "role": "citizen", "pref": person_ref or secrets.token_hex(16)}


def staff(role, office_code, user_id=None):
    return {"sub": user_id or str(uuid.uuid4()), "role": role, "office": office_code}


def mint(stack, claims, ttl=900):
    key = (stack.config.var / "keys" / "jwt_ed25519.pem").read_text()
    now = int(time.time())
    payload = {
        "typ": "access",
        "iss": "antre-identity",
        "aud": "antre",
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="EdDSA")


def bearer(stack, claims, **headers):
    return {"Authorization": f"Bearer {mint(stack, claims)}", **headers}
