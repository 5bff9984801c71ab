"""What the release, waiting-room and waitlist entrypoints do: the transactions around ``releases`` and
``waitlist`` (the same ``_write`` as every other write, so the caches drop what changed)."""

from scheduling import bookings, cooldown, releases, waitlist
from scheduling.actions import Scheduling


class FairRelease(Scheduling):
    # -- releases and their waiting rooms ----------------------------------------------------------------

    def list_releases(self, office_code):
        return releases.list_for_office(self.db.session, office_code, self.now())

    def create_release(self, r):
        def work(session):
            made = releases.create_extra(session, self.settings, self.now(), r["office_code"], r["date"], r["opens_at"])
            return made, []

        return self._write(work)

    def join_queue(self, q):
        user_id = str(q["user_id"])
        return self._write(
            lambda session: (releases.join(session, self.settings, self.now(), q["release_id"], user_id), [])
        )

    def queue_place(self, q):
        return releases.look(self.db.session, self.settings, self.now(), q["release_id"], str(q["user_id"]))

    # -- waitlist -------------------------------------------------------------------------------------------

    def join_waitlist(self, w):
        def work(session):
            entry = waitlist.join(
                session, self.settings, self.now(), user_id=str(w["user_id"]), person_ref=w["person_ref"],
                office_code=w["office_code"], service_code=w["service_code"], day=w["date"],
            )  # fmt: skip
            return entry, []

        return self._write(work)

    def my_waitlist(self, user_id):
        return waitlist.mine(self.db.session, str(user_id))

    def leave_waitlist(self, a):
        def work(session):
            entry = waitlist.leave(session, self.db, self.settings, self.now(), a["waitlist_id"], str(a["user_id"]))
            return entry, [(entry["office_code"], [entry["date"]])]

        return self._write(work)

    def accept_offer(self, a):
        def work(session):
            now = self.now()
            entry = waitlist._owned(session, a["waitlist_id"], str(a["user_id"]))
            cooldown.check(session, self.settings, now, entry.person_ref)
            booking = waitlist.accept(session, self.db, now, a["waitlist_id"], str(a["user_id"]))
            return booking, [(booking["office_code"], [booking["date"]])]

        return bookings.retry_code_collision(lambda: self._write(work))

    def expire_offers(self):
        """Offers past their deadline pass to the next person (timer, every replica, SKIP LOCKED)."""

        def work(session):
            changed = waitlist.expire_offers(session, self.db, self.settings, self.now())
            return len(changed), [(office, [day]) for office, day in changed]

        return self._write(work)
