"""The holders staff see at check-in: ``people(person_ids)`` → ``{person_id: {full_name, nik_masked,
birth_date}}`` for account holders (a person is a user id today); unknown ids and staff accounts are left
out. Minimal on purpose: the family feature answers the same contract with dependents too."""

import uuid

from sqlalchemy import select

from identity import policy
from identity.models import User
from identity.secrets_box import field_aad


def people(db, box, person_ids):
    ids = [uuid.UUID(str(p)) for p in person_ids]
    with db.transaction() as session:
        users = session.scalars(select(User).where(User.id.in_(ids), User.nik_enc.is_not(None))).all()
        return {str(u.id): _holder(box, u) for u in users}


def _holder(box, user):
    def opened(field):
        return box.open(getattr(user, f"{field}_enc"), field_aad(user.id, field))

    return {
        "full_name": opened("full_name"),
        "nik_masked": policy.mask_nik(opened("nik")),
        "birth_date": opened("birth_date") if user.birth_date_enc else None,
    }
