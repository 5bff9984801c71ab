"""Family members: the holder's family card (KK) as the population registry knows it, the dependents a holder
books for, and the person lookup other services make (``people``).

A dependent is a member of the holder's card without an account of their own, and the dependent of one
holder only. Their personal data is kept as an account's (sealed, keyed-hash lookups, masked in answers)
and goes with the holder's account. ``person_id`` of an account holder is their ``user_id``; of a dependent
the dependent row's id, which their own account takes if they register later (``registration``).
"""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from identity import policy
from identity.accounts import Accounts
from identity.exceptions import (
    AlreadyADependent,
    DependentHasAccount,
    Forbidden,
    NotOnFamilyCard,
    PersonNotFound,
)
from identity.models import Dependent, User
from identity.secrets_box import dependent_aad

RELATIONSHIPS = ("head", "spouse", "child", "parent", "other")


class Family(Accounts):
    def _holder(self, session, user_id):
        user = self._get(session, user_id)
        if user.role != "citizen" or user.status != "active" or not user.nik_enc:
            raise Forbidden("only a verified citizen has a family card")
        return user

    def _card(self, user_id):
        """The registry's verdict for the holder (their own NIK, name and birth date)."""
        with self.db.transaction() as session:
            holder = self._holder(session, user_id)
            nik, name, born = (self._open(holder, f) for f in ("nik", "full_name", "birth_date"))
        verdict = self.registry.verify(nik, name, born)
        return nik, verdict

    def _open_dependent(self, dependent, field):
        return self.box.open(getattr(dependent, f"{field}_enc"), dependent_aad(dependent.id, field))

    def family(self, user_id):
        """Members of the holder's card other than the holder, with whether each has an account and, when they
        have one or are a dependent, their ``person_id``."""
        own_nik, verdict = self._card(user_id)
        members = [m for m in verdict.members if m.nik != own_nik]
        variants = {m.nik: self.box.lookups("nik", m.nik) for m in members}  # under every lookup key
        hashes = [h for hs in variants.values() for h in hs]
        with self.db.transaction() as session:
            accounts = dict(session.execute(select(User.nik_hash, User.id).where(User.nik_hash.in_(hashes))).all())
            dependents = {
                d.nik_hash: d for d in session.scalars(select(Dependent).where(Dependent.nik_hash.in_(hashes)))
            }
        out = []
        for m in members:
            account = next((accounts[h] for h in variants[m.nik] if h in accounts), None)
            dependent = next((dependents[h] for h in variants[m.nik] if h in dependents), None)
            mine = dependent is not None and dependent.holder_id == uuid.UUID(str(user_id))
            person_id = account or (dependent.id if mine else None)
            out.append(
                {
                    "person_id": person_id and str(person_id),
                    "full_name": m.full_name,
                    "relationship": m.relationship if m.relationship in RELATIONSHIPS else "other",
                    "birth_date": m.birth_date,
                    "nik_masked": policy.mask_nik(m.nik),
                    "has_account": account is not None,
                    "is_dependent": mine,
                    "dependent_of_other": dependent is not None and not mine,
                }
            )
        return out

    def add_dependent(self, user_id, nik, client_ip=None):
        """Makes a member of the holder's card without an account the holder's dependent."""
        own_nik, verdict = self._card(user_id)
        member = verdict.member(nik)
        if member is None or nik == own_nik:
            raise NotOnFamilyCard("not a member of your family card")
        nik_hash, nik_hashes = self.box.lookup("nik", nik), self.box.lookups("nik", nik)
        try:
            with self.db.transaction() as session:
                if session.scalar(select(User.id).where(User.nik_hash.in_(nik_hashes))):
                    raise DependentHasAccount("this person has an account of their own")
                existing = session.scalar(select(Dependent).where(Dependent.nik_hash.in_(nik_hashes)))
                if existing is not None:
                    if existing.holder_id == uuid.UUID(str(user_id)):  # a retried request: the same answer
                        return self._dependent_view(existing)
                    raise AlreadyADependent("this person is already someone's dependent")
                dependent = Dependent(
                    id=uuid.uuid4(),
                    holder_id=uuid.UUID(str(user_id)),
                    nik_hash=nik_hash,
                    lookup_kid=self.box.lookup_kid or None,
                    relationship=member.relationship if member.relationship in RELATIONSHIPS else "other",
                    person_ref=self.box.person_ref(nik),
                    created_at=self.now(),
                )
                for field, value in (("nik", nik), ("full_name", member.full_name), ("birth_date", member.birth_date)):
                    setattr(dependent, f"{field}_enc", self.box.seal(value, dependent_aad(dependent.id, field)))
                session.add(dependent)
                session.flush()  # a concurrent holder fails here on the unique hash
                self._audit(session, "dependent_added", "ok", user_id=dependent.id, actor_id=dependent.holder_id,
                            client_ip=client_ip)  # fmt: skip
                return self._dependent_view(dependent)
        except IntegrityError:
            raise AlreadyADependent("this person is already someone's dependent") from None

    def _dependent_view(self, dependent):
        return {
            "person_id": str(dependent.id),
            "full_name": self._open_dependent(dependent, "full_name"),
            "birth_date": self._open_dependent(dependent, "birth_date"),
            "relationship": dependent.relationship,
            "nik_masked": policy.mask_nik(self._open_dependent(dependent, "nik")),
        }

    def dependents(self, user_id):
        with self.db.transaction() as session:
            rows = session.scalars(
                select(Dependent).where(Dependent.holder_id == uuid.UUID(str(user_id))).order_by(Dependent.created_at)
            ).all()
            return [self._dependent_view(d) for d in rows]

    def person_for_booking(self, user_id, person_id):
        """``{person_id, person_ref}`` of whom the holder may book for: themselves or one of their dependents.
        Anyone else, someone else's dependent included, is ``PersonNotFound``."""
        holder, person = uuid.UUID(str(user_id)), uuid.UUID(str(person_id))
        with self.db.transaction() as session:
            if person == holder:
                user = self._get(session, holder)
                return {"person_id": str(user.id), "person_ref": user.person_ref}
            dependent = session.get(Dependent, person)
            if dependent is None or dependent.holder_id != holder:
                raise PersonNotFound("no such person among yours")
            return {"person_id": str(dependent.id), "person_ref": dependent.person_ref}

    def people(self, person_ids):
        """``{person_id: {full_name, nik_masked, birth_date}}`` for account holders and dependents; unknown ids
        are left out. For other services (the officer's check-in screen, notification)."""
        ids = {uuid.UUID(str(p)) for p in person_ids}
        out = {}
        with self.db.transaction() as session:
            for user in session.scalars(select(User).where(User.id.in_(ids))):
                out[str(user.id)] = {
                    "full_name": self._open(user, "full_name"),
                    "nik_masked": policy.mask_nik(self._open(user, "nik")),
                    "birth_date": self._open(user, "birth_date"),
                }
            # A dependent whose own account is still pending: the account answers.
            rest = ids - {uuid.UUID(k) for k in out}
            for dependent in session.scalars(select(Dependent).where(Dependent.id.in_(rest))):
                view = self._dependent_view(dependent)
                out[view["person_id"]] = {k: view[k] for k in ("full_name", "nik_masked", "birth_date")}
        return out
