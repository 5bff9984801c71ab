"""Releases and their waiting rooms: a day of quota opens at a published time, fairly, not as a race.

A release (the rolling daily one, or an extra day a supervisor adds) has a waiting room that opens
``WAITING_ROOM_MINUTES`` before it. Everyone who joins before the opening draws a random ``ballot``, so the
order among them is a uniformly random permutation whatever the moment they joined (06:59:59.9 gains nothing
over 06:50); later arrivals queue behind in arrival order. A place is a row in PostgreSQL (no process keeps
the queue), and a place's number is counted, not stored: the places ordered by ``(late, ballot, joined_at,
user_id)`` before it, plus one.

Admission is arithmetic, not a worker: ``RELEASE_ADMISSION_RATE`` places per second from the opening, so
place ``p`` is admitted at ``opens_at + max(0, p / rate - 1)`` seconds (the first second's worth at once).
Every replica answers the same from the same rows and the clock; nothing has to run for the queue to move.
An admission is good for one seat of that release for ``ADMISSION_SECONDS``; using it is a conditional
UPDATE in the booking's own transaction, so a failed booking (slot full) leaves it unused.
"""

import secrets
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from scheduling import capacity, catalogue, events
from scheduling.exceptions import (
    AdmissionExpired,
    AdmissionInvalid,
    AdmissionRequired,
    AdmissionUsed,
    DateOutOfWindow,
    QueuePlaceNotFound,
    ReleaseClosed,
    ReleaseExists,
    ReleaseNotFound,
    ValidationError,
    WaitingRoomNotOpen,
)
from scheduling.models import Office, QueuePlace, Release, Service, Slot

BALLOT_BITS = 62
MAX_RETRY_SECONDS = 60


# -- releases -----------------------------------------------------------------------------------------------


def _new(office_code, day, kind, opens_at, settings, now):
    return {
        "id": str(uuid.uuid4()),
        "office_code": office_code,
        "date": day,
        "kind": kind,
        "opens_at": opens_at,
        "waiting_room_opens_at": opens_at - timedelta(minutes=settings.waiting_room_minutes),
        "created_at": now,
    }


def plan_daily(session, settings, now):
    """The next rolling release of every office as a row (idempotent: unique office and day), so its waiting
    room can open before it. The day it releases is ``window_days`` after its opening's local date."""
    rows = []
    for code, tz in session.execute(select(Office.code, Office.timezone)).all():
        opens = capacity.next_release(now, tz, settings.release_time)
        day = opens.date() + timedelta(days=settings.window_days)
        rows.append(_new(code, day, "daily", opens.astimezone(ZoneInfo("UTC")), settings, now))
    if rows:
        session.execute(insert(Release).values(rows).on_conflict_do_nothing(constraint="uq_release_office_date"))


def create_extra(session, settings, now, office_code, day, opens_at):
    """An extra day of quota (a supervisor's): a day after the rolling window, on which the office is open,
    opening in the future and before the day itself."""
    office = catalogue.get_office(session, office_code)
    until = capacity.open_until(now, office.timezone, settings.window_days, settings.release_time)
    if day <= until:
        raise DateOutOfWindow("that day is released already", first=(until + timedelta(days=1)).isoformat())
    if opens_at.tzinfo is None:
        opens_at = opens_at.replace(tzinfo=ZoneInfo(office.timezone))
    if opens_at <= now or opens_at.astimezone(ZoneInfo(office.timezone)).date() >= day:
        raise ValidationError("opens_at must be in the future and before the day", errors={"opens_at": ["invalid"]})
    layout = catalogue.layout_of(session, office)
    if not capacity.day_slots(layout, day):
        raise ValidationError("the office is closed that day", errors={"date": [capacity.closed_reason(layout, day)]})
    row = _new(office_code, day, "extra", opens_at.astimezone(ZoneInfo("UTC")), settings, now)
    created = session.execute(
        insert(Release).values(row).on_conflict_do_nothing(constraint="uq_release_office_date").returning(Release.id)
    ).first()
    if created is None:
        raise ReleaseExists("the office has a release for that day", date=day.isoformat())
    return dto(session, session.get(Release, row["id"]), now)


def open_due(session, db, now):
    """Each release whose time has come opens once (``release_opened``); an extra release also gets its
    slots here (the rolling release makes its own, in the same transaction just before). Rows another
    replica holds are skipped."""
    due = session.scalars(
        select(Release)
        .where(Release.opens_at <= now, Release.opened_at.is_(None))
        .order_by(Release.opens_at)
        .with_for_update(skip_locked=True)
    ).all()
    opened = {}
    for release in due:
        if release.kind == "extra":
            layout = catalogue.layout_of(session, catalogue.get_office(session, release.office_code))
            catalogue.insert_slots(session, release.office_code, capacity.day_slots(layout, release.date))
            session.flush()
            db.add_event(events.AVAILABILITY_CHANGED, events.availability_changed(release.office_code))
            opened[release.office_code] = None
        release.opened_at = now
        data = events.release_opened(dto(session, release, now))
        events.emit(db, "release_opened", data, integration=data)
    return opened


def extra_until(session, office_code, now):
    """The last day of an opened extra release of the office (availability may ask for it), or None."""
    return session.scalar(
        select(func.max(Release.date)).where(
            Release.office_code == office_code, Release.kind == "extra", Release.opens_at <= now
        )
    )


def get(session, release_id):
    try:
        release = session.get(Release, str(uuid.UUID(str(release_id))))
    except ValueError:
        release = None
    if release is None:
        raise ReleaseNotFound("no such release")
    return release


def _min_minutes(session):
    return session.scalar(select(func.min(Service.duration_minutes))) or 1


def seats(session, release):
    """``(seats, remaining)`` in bookings of the shortest service; before the slots exist, from the layout."""
    unit = _min_minutes(session)
    rows = session.execute(
        select(Slot.capacity_minutes, Slot.booked_minutes).where(
            Slot.office_code == release.office_code, Slot.date == release.date, Slot.closed.is_(False)
        )
    ).all()
    if rows:
        return sum(c // unit for c, _ in rows), sum(max(0, c - b) // unit for c, b in rows)
    layout = catalogue.layout_of(session, catalogue.get_office(session, release.office_code))
    total = sum(s.capacity_minutes // unit for s in capacity.day_slots(layout, release.date))
    return total, total


def status(release, now, remaining, tz):
    if now.astimezone(ZoneInfo(tz)).date() > release.date:
        return "closed"
    if now < release.waiting_room_opens_at:
        return "scheduled"
    if now < release.opens_at:
        return "waiting_room"
    return "open" if remaining > 0 else "sold_out"


def dto(session, release, now):
    tz = session.scalar(select(Office.timezone).where(Office.code == release.office_code))
    total, remaining = seats(session, release)
    local = ZoneInfo(tz)
    return {
        "release_id": release.id,
        "office_code": release.office_code,
        "date": release.date.isoformat(),
        "kind": release.kind,
        "opens_at": release.opens_at.astimezone(local).isoformat(),
        "waiting_room_opens_at": release.waiting_room_opens_at.astimezone(local).isoformat(),
        "seats": total,
        "remaining": remaining,
        "status": status(release, now, remaining, tz),
    }


def list_for_office(session, office_code, now):
    office = catalogue.get_office(session, office_code)
    today = capacity.local_today(now, office.timezone)
    rows = session.scalars(
        select(Release).where(Release.office_code == office_code, Release.date >= today).order_by(Release.opens_at)
    ).all()
    return [dto(session, r, now) for r in rows]


# -- the waiting room ---------------------------------------------------------------------------------------


def admitted_count(settings, release, now):
    """How many places are admitted at ``now`` (the first second's worth at the opening)."""
    if now < release.opens_at:
        return 0
    return int(settings.admission_rate * ((now - release.opens_at).total_seconds() + 1))


def admit_at(settings, release, position):
    return release.opens_at + timedelta(seconds=max(0.0, position / settings.admission_rate - 1))


def position_of(session, place):
    key = (QueuePlace.late, QueuePlace.ballot, QueuePlace.joined_at, QueuePlace.user_id)
    ahead = session.scalar(
        select(func.count())
        .select_from(QueuePlace)
        .where(
            QueuePlace.release_id == place.release_id,
            tuple_(*key) < tuple_(place.late, place.ballot, place.joined_at, place.user_id),
        )
    )
    return ahead + 1


def join(session, settings, now, release_id, user_id, ballot=None):
    """A place in the release's waiting room; joining again returns the same place."""
    release = get(session, release_id)
    place = session.get(QueuePlace, (release.id, user_id))
    if place is None:
        # Cheap checks first (a crowd joins at once): the seats are counted only once the release is open.
        if now < release.waiting_room_opens_at:
            raise WaitingRoomNotOpen(
                "the waiting room is not open yet", opens_at=release.waiting_room_opens_at.isoformat()
            )
        if now >= release.opens_at:
            view = dto(session, release, now)
            if view["status"] in ("closed", "sold_out"):
                raise ReleaseClosed("the release is over", status=view["status"])
        late = now >= release.opens_at
        row = {
            "release_id": release.id,
            "user_id": user_id,
            "late": late,
            "ballot": 0 if late else (ballot if ballot is not None else secrets.randbits(BALLOT_BITS)),
            "joined_at": now,
            "admission": str(uuid.uuid4()),
        }
        session.execute(insert(QueuePlace).values(row).on_conflict_do_nothing())  # a double tap: the first wins
        place = session.get(QueuePlace, (release.id, user_id))
    return place_view(session, settings, now, release, place)


def look(session, settings, now, release_id, user_id):
    release = get(session, release_id)
    place = session.get(QueuePlace, (release.id, user_id))
    if place is None:
        raise QueuePlaceNotFound("not in this waiting room")
    return place_view(session, settings, now, release, place)


def place_view(session, settings, now, release, place):
    base = {"release_id": release.id, "opens_at": release.opens_at.isoformat()}
    if place.used_at is not None:
        return base | {"state": "closed", "reason": "used", "booking_id": place.booking_id}
    position = position_of(session, place)
    at = admit_at(settings, release, position)
    until = at + timedelta(seconds=settings.admission_seconds)
    if now >= release.opens_at and seats(session, release)[1] == 0:
        return base | {"state": "closed", "reason": "sold_out"}
    if now >= at and now >= release.opens_at:
        if now > until:
            return base | {"state": "closed", "reason": "expired", "position": position}
        return base | {
            "state": "admitted",
            "position": position,
            "ahead": 0,
            "admission": place.admission,
            "admitted_until": until.isoformat(),
        }
    # Before the opening a place can only move back (a new joiner may draw a lower ballot), so ``at`` is the
    # earliest moment worth asking again: polls spread out instead of all arriving at the opening.
    wait = (at - now).total_seconds()
    return base | {
        "state": "waiting",
        "position": position,
        "ahead": max(0, position - 1 - admitted_count(settings, release, now)),
        "retry_after_seconds": int(min(MAX_RETRY_SECONDS, max(1, wait))),
    }


def check_admission(session, settings, now, slot_id, user_id, admission):
    """Before a booking of ``slot_id``: a release with people waiting needs this user's admission, admitted
    and unexpired; it is marked used here, in the booking's transaction (a failed booking rolls it back).
    Returns the place used, or None when no admission was needed."""
    release = session.scalar(
        select(Release).join(Slot, (Slot.office_code == Release.office_code) & (Slot.date == Release.date))
        .where(Slot.id == slot_id)
    )  # fmt: skip
    if release is None:
        return None
    if admission is None:
        waiting = session.scalar(
            select(func.count()).select_from(QueuePlace).where(QueuePlace.release_id == release.id)
        )
        if now < release.opens_at or waiting > admitted_count(settings, release, now):
            raise AdmissionRequired("people are waiting for this release", release_id=release.id)
        return None
    place = session.scalar(select(QueuePlace).where(QueuePlace.admission == str(admission)))
    if place is None or place.user_id != user_id or place.release_id != release.id:
        raise AdmissionInvalid("not an admission of yours for this release", release_id=release.id)
    position = position_of(session, place)
    at = admit_at(settings, release, position)
    if now < at or now < release.opens_at:
        raise AdmissionRequired("your turn has not come yet", release_id=release.id)
    until = at + timedelta(seconds=settings.admission_seconds)
    if now > until:
        raise AdmissionExpired("the admission has expired", admitted_until=until.isoformat())
    used = session.execute(
        update(QueuePlace)
        .where(QueuePlace.admission == str(admission), QueuePlace.used_at.is_(None))
        .values(used_at=now)
        .returning(QueuePlace.release_id)
    ).first()
    if used is None:
        raise AdmissionUsed("this admission was used for a booking already")
    return place


def mark_booked(session, place, booking_id):
    if place is not None:
        session.execute(
            update(QueuePlace)
            .where(QueuePlace.release_id == place.release_id, QueuePlace.user_id == place.user_id)
            .values(booking_id=booking_id)
        )
