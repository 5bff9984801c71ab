"""Who is asking: the end user, proven by identity's signed token; the calling service, proven by the broker.

Zero trust inside the suite (docs/security.md): no service believes what a caller *says* about the person or
about itself.

- **The person.** The gateway puts the caller's access token, unchanged, in the RPC context data
  (``ACCESS_TOKEN_KEY``); nameko carries it through every RPC a worker makes. Each service that decides who
  may do what verifies it here with identity's public key alone: EdDSA signature, ``exp``, ``iss``, ``aud``,
  ``typ`` access. A principal passed as an argument is never authority.
- **The calling service.** Every process connects to RabbitMQ as its own broker user and stamps each request
  with the AMQP ``user_id`` property, which RabbitMQ checks against the connection's login (a forged one
  closes the channel). ``antre_common.rpc``'s entrypoint moves it into the worker's context data under
  ``CALLER_KEY``, overwriting whatever a header claimed; ``Caller.require_service`` keeps sensitive RPCs to
  the services that need them.

Tokens: ``sub`` the user id, ``role``, ``office`` for staff, ``pref`` the person reference for citizens,
``typ`` access, ``iss`` antre-identity, ``aud`` antre. Config: ``JWT_PUBLIC_KEY`` (one or more PEM blocks,
two during a key rotation) or ``JWT_PUBLIC_KEY_FILE``.
"""

import re
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from nameko.extensions import DependencyProvider, SharedExtension

from antre_common.errors import ServiceError

ISSUER = "antre-identity"
AUDIENCE = "antre"
STAFF_ROLES = ("officer", "supervisor", "admin")
ACCESS_TOKEN_KEY = "access_token"  # noqa: S105 - a key name. Context data: the end user's token, as the gateway received it
CALLER_KEY = "caller_service"  # context data: the calling service, from the broker-validated user_id only


class Unauthenticated(ServiceError):
    code = "UNAUTHENTICATED"


class TokenExpired(ServiceError):
    code = "TOKEN_EXPIRED"


class NotThePerson(ServiceError):
    """The verified person is not the one the call names (or lacks the role it needs)."""

    code = "FORBIDDEN"


class CallerNotAllowed(ServiceError):
    """A service (or a login that is no service of ours) asked for what only named services may read."""

    code = "FORBIDDEN"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    office_code: str | None
    person_ref: str | None = None  # pseudonymous reference of the person's NIK (citizens), see docs/contracts.md
    # A staff token's session (``sid``) and its issue time: what the gateway's revocation check reads.
    session_id: str | None = field(default=None, compare=False)
    issued_at: int = field(default=0, compare=False)

    @property
    def is_staff(self):
        return self.role in STAFF_ROLES

    def works_at(self, office_code):
        """Staff of this office (admins are national)."""
        return self.role == "admin" or (self.is_staff and self.office_code == office_code)


def load_public_keys(config):
    """Identity's public keys from ``JWT_PUBLIC_KEY`` (PEM blocks) or ``JWT_PUBLIC_KEY_FILE``.

    Several PEM blocks may be given: during a signing-key rotation the new key is added first and the old one
    removed once its last tokens expired, so no valid token is ever refused."""
    pem = config.get("JWT_PUBLIC_KEY") or ""
    path = config.get("JWT_PUBLIC_KEY_FILE")
    if not pem.strip() and path:
        with open(path) as f:
            pem = f.read()
    private = config.get("JWT_PRIVATE_KEY") or ""
    if not pem.strip() and private.strip():  # identity: the public half of its own signing key
        key = serialization.load_pem_private_key(private.encode(), password=None)
        return [key.public_key()]
    return [
        serialization.load_pem_public_key(block.encode())
        for block in re.findall(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", pem, re.S)
    ]


def verify_token(token, public_keys):
    """The principal of a valid access token; ``TokenExpired`` or ``Unauthenticated`` otherwise."""
    if not token or not isinstance(token, str):
        raise Unauthenticated("no access token")
    if not public_keys:
        raise Unauthenticated("token key not configured")
    claims = None
    for key in public_keys:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "iat"]},
            )
            break
        except jwt.ExpiredSignatureError:
            raise TokenExpired("access token expired") from None
        except jwt.InvalidSignatureError:
            continue  # maybe signed with the other key of a rotation
        except jwt.PyJWTError:
            raise Unauthenticated("invalid access token") from None
    if claims is None or claims.get("typ", "access") != "access":
        raise Unauthenticated("invalid access token")
    return Principal(claims["sub"], claims.get("role", "citizen"), claims.get("office"), claims.get("pref"),
                     session_id=claims.get("sid"), issued_at=claims.get("iat", 0))  # fmt: skip


def service_of(broker_user):
    """The service a broker login belongs to: ``documents``, or ``antre_sys_ab12.documents`` where several
    stacks share one broker (users are broker-wide; the part before the last dot keeps them apart). Only
    the broker's administrator creates users, so the name is as trustworthy as the login."""
    return broker_user.rsplit(".", 1)[-1] if broker_user else None


class PublicKeys(SharedExtension):
    """Identity's public keys, read once per process."""

    def setup(self):
        self.keys = load_public_keys(self.container.config)


class CallerView:
    """The worker's view of who is asking (see the module docstring)."""

    def __init__(self, context_data, public_keys, from_rpc):
        self._data = context_data
        self._keys = public_keys
        # Only an RPC entrypoint of antre_common.rpc writes CALLER_KEY from the broker; anything else
        # (an event handler, a timer) has no proven calling service.
        self.service = service_of(context_data.get(CALLER_KEY)) if from_rpc else None

    def person(self):
        """The verified end user on whose behalf this call runs (``Principal``)."""
        return verify_token(self._data.get(ACCESS_TOKEN_KEY), self._keys)

    def person_is(self, user_id):
        """The verified person, who must be ``user_id``: an argument may say whom a call is about, never who
        asks (``NotThePerson`` otherwise)."""
        person = self.person()
        if str(user_id) != person.user_id:
            raise NotThePerson("the call names someone else than the signed-in person")
        return person

    def staff_member(self, *roles, user_id=None):
        """The verified person, who must hold one of ``roles`` (and be ``user_id`` when given)."""
        person = self.person() if user_id is None else self.person_is(user_id)
        if person.role not in roles:
            raise NotThePerson("the signed-in person's role does not allow this", role=person.role)
        return person

    def person_as_dict(self):
        p = self.person()
        return {"user_id": p.user_id, "role": p.role, "office_code": p.office_code}

    def require_service(self, *allowed):
        """Refuse unless the broker-proven calling service is one of ``allowed``."""
        if self.service not in allowed:
            raise CallerNotAllowed("this call is kept to named services", caller=self.service)
        return self.service


class Caller(DependencyProvider):
    """``caller = Caller()``: ``self.caller.person()``, ``self.caller.service``, ``self.caller.require_service``."""

    keys = PublicKeys()

    def get_dependency(self, worker_ctx):
        from antre_common.rpc import CallerRpc  # rpc imports this module

        return CallerView(worker_ctx.context_data, self.keys.keys, isinstance(worker_ctx.entrypoint, CallerRpc))
