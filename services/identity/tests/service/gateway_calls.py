"""Identity's entrypoints called with the context data the gateway sends (docs/security.md): the calling
service as the broker proves it, and the access token of the signed-in person the call is about."""

import time
import uuid

import jwt
from nameko.testing.services import entrypoint_hook

from antre_common.auth import ACCESS_TOKEN_KEY, AUDIENCE, CALLER_KEY, ISSUER

# Who the gateway's token names for each user-scoped call: the first argument (a citizen), or the acting admin.
PERSON_ARG = {"family": 0, "add_dependent": 0, "dependents": 0, "person_for_booking": 0, "get_profile": 0,
              "end_my_sessions": 0}  # fmt: skip
ADMIN_ARG = {"create_staff": 1, "disable_staff": 1, "enable_staff": 1, "end_staff_sessions": 1,
             "reset_second_factor": 1, "list_staff": 0, "audit_log": None}  # fmt: skip
SERVICE_ONLY = {"revoked_sessions": "gateway"}  # calls kept to a service: the caller the broker proves


def token(container, user_id, role="citizen", ttl=300):
    """An access token as identity signs it, with the container's own signing key."""
    now = int(time.time())
    claims = {"typ": "access", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl, "sub": str(user_id),
              "role": role, "jti": uuid.uuid4().hex}  # fmt: skip
    return jwt.encode(claims, container.config["JWT_PRIVATE_KEY"], algorithm="EdDSA")


def gateway_context(container, method, args):
    if method in PERSON_ARG:
        return {CALLER_KEY: "gateway", ACCESS_TOKEN_KEY: token(container, args[PERSON_ARG[method]])}
    if method in ADMIN_ARG:
        at = ADMIN_ARG[method]
        actor = args[at] if at is not None and len(args) > at else uuid.uuid4()
        return {CALLER_KEY: "gateway", ACCESS_TOKEN_KEY: token(container, actor, role="admin")}
    if method in SERVICE_ONLY:
        return {CALLER_KEY: SERVICE_ONLY[method]}
    return None


def call(container, method, *args, caller=None, context=None, **kwargs):
    """The entrypoint; ``caller``: the calling service as the broker would prove it; ``context``: the whole
    context data instead (a forged or missing token). Otherwise a user-scoped call gets the gateway's."""
    if context is None:
        context = {CALLER_KEY: caller} if caller else gateway_context(container, method, args)
    with entrypoint_hook(container, method, context_data=context) as hook:
        return hook(*args, **kwargs)
