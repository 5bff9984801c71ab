"""The events identity publishes (spec/EVENTS.md): one function per event, building its data.

Receivers' schemas and test doubles are checked against these (tests/contracts).
"""

from antre_common.sealed_box import one_time_code_aad


def user_registered(user):
    return {"user_id": str(user.id)}


def account_deleted(user_id):
    """An account is gone (a registration never verified): receivers forget what they keep of it."""
    return {"user_id": str(user_id)}


def otp_requested(user, channel, purpose, otp, expires_at, otp_box):
    """The code leaves identity only here, sealed for notification alone (``otp_box``: its public key, see
    antre_common.sealed_box): identity's outbox, its WAL and its backups never hold it in the clear, and
    identity cannot open it again."""
    return {
        "user_id": str(user.id),
        "channel": channel,
        "purpose": purpose,
        "otp_sealed": otp_box.seal(otp, one_time_code_aad(user.id, channel, purpose)),
        "expires_at": expires_at.isoformat(),
    }


def dependent_registered(person_id, holder_id):
    """A dependent registered an account of their own (its id is their person_id): their future bookings move
    from the holder to them, and the holder is told."""
    return {"person_id": str(person_id), "holder_id": str(holder_id)}


def sessions_revoked(user_id, session_ids, expires_at):
    """Staff sessions that ended (logout, all sessions ended, disabled, second factor reset, token reuse): each
    gateway replica refuses access tokens with these ``sid`` until ``expires_at``, when they would have run out
    anyway. Ids only."""
    return {"user_id": str(user_id), "session_ids": list(session_ids), "expires_at": expires_at.isoformat()}
