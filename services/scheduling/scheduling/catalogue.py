"""Offices and services: loaded idempotently from the data file, read through a small in-process cache,
and the supervisor's capacity changes (which re-plan released days without dropping a booking)."""

import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from scheduling import capacity, events
from scheduling.exceptions import OfficeNotFound, ServiceNotFound
from scheduling.models import Booking, Closure, Office, Service, Slot

DATA_FILE = Path(__file__).parent / "data" / "catalogue.yaml"
CAPACITY_FIELDS = ("counters", "slot_minutes", "online_share", "opening_hours")
LOAD_LOCK = 0x616E7472_65636174  # "antrecat": one catalogue load at a time across replicas
OFFICE_COLUMNS = ("code", "name", "address", "city", "province", "timezone", *CAPACITY_FIELDS)


def read_data(path=DATA_FILE):
    with open(path) as f:
        return yaml.safe_load(f)


def load_data_file(sessionmaker):
    """At start: the data file into the database, in its own transaction."""
    with sessionmaker() as session, session.begin():
        return load(session)


def load(session, data=None):
    """Insert new services and offices and update only the columns that changed. Capacity of an existing
    office is left alone: after the first load it belongs to the supervisors.

    Replicas start while others take bookings, so this must not lock what bookings lock: no upsert (ON
    CONFLICT DO UPDATE locks every row it meets, FOR UPDATE when its SET names the key, and that waits for
    and blocks the KEY SHARE of each booking's foreign-key check), and loads of replicas starting together
    run one after another (a transaction-scoped advisory lock)."""
    data = data or read_data()
    defaults = data.get("defaults", {})
    session.execute(select(func.pg_advisory_xact_lock(LOAD_LOCK)))
    services = {s.code: s for s in session.scalars(select(Service))}
    for svc in data["services"]:
        values = {k: svc[k] for k in ("code", "name", "name_en", "duration_minutes", "required_documents")}
        values["prepaid"] = bool(svc.get("prepaid", False))
        _insert_or_update(session, Service, services.get(svc["code"]), values)
    offices = {o.code: o for o in session.scalars(select(Office))}
    for office in data["offices"]:
        described = {k: office[k] for k in ("code", "name", "address", "city", "province", "timezone")}
        layout = {k: office.get(k, defaults.get(k)) for k in CAPACITY_FIELDS}
        _insert_or_update(session, Office, offices.get(office["code"]), described, layout)
    return len(data["offices"]), len(data["services"])


def _insert_or_update(session, model, row, described, first_only=None):
    if row is None:
        stmt = insert(model).values(**described, **(first_only or {}))
        session.execute(stmt.on_conflict_do_nothing(index_elements=["code"]))
        return
    for column, value in described.items():
        if getattr(row, column) != value:  # the ORM's UPDATE names only these columns, never the key
            setattr(row, column, value)


def layout_of(session, office):
    closures = session.scalars(select(Closure.date).where(Closure.office_code == office.code)).all()
    return capacity.Layout(
        timezone=office.timezone,
        counters=office.counters,
        slot_minutes=office.slot_minutes,
        online_share=office.online_share,
        opening_hours=office.opening_hours,
        closures=frozenset(closures),
    )


def office_dto(office, settings, now, closures=()):
    until = capacity.open_until(now, office.timezone, settings.window_days, settings.release_time)
    return {
        "code": office.code,
        "name": office.name,
        "address": office.address,
        "city": office.city,
        "province": office.province,
        "timezone": office.timezone,
        "counters": office.counters,
        "slot_minutes": office.slot_minutes,
        "online_share": office.online_share,
        "opening_hours": office.opening_hours,
        "closures": list(closures),
        # The release rule is public, so nobody has to watch social media for new quota.
        "booking_window": {
            "days_ahead": settings.window_days,
            "release_time": settings.release_time.strftime("%H:%M"),
            "open_until": until.isoformat(),
            "next_release_at": capacity.next_release(now, office.timezone, settings.release_time).isoformat(),
        },
    }


def office_summary(office, settings, now):
    """The list view: who, where, which time zone, and when the next quota opens."""
    full = office_dto(office, settings, now)
    keep = ("code", "name", "address", "city", "province", "timezone", "booking_window")
    return {k: full[k] for k in keep}


def snapshot(office, closures=()):
    """A plain, cacheable copy of an office row (no session attached)."""
    return SimpleNamespace(**{c: getattr(office, c) for c in OFFICE_COLUMNS}, closures=list(closures))


def all_offices(session):
    return [snapshot(o) for o in session.scalars(select(Office).order_by(Office.code)).all()]


def all_services(session):
    return [service_dto(s) for s in session.scalars(select(Service).order_by(Service.code)).all()]


def service_dto(service):
    return {
        "code": service.code,
        "name": service.name,
        "name_en": service.name_en,
        "duration_minutes": service.duration_minutes,
        "required_documents": service.required_documents,
        "prepaid": bool(service.prepaid),
    }


def get_office(session, code):
    office = session.get(Office, code) if isinstance(code, str) else None
    if office is None:
        raise OfficeNotFound("no such office", office_code=code)
    return office


def get_service(session, code):
    service = session.get(Service, code) if isinstance(code, str) else None
    if service is None:
        raise ServiceNotFound("no such service", service_code=code)
    return service


def future_closures(session, office_code, today):
    rows = session.scalars(
        select(Closure).where(Closure.office_code == office_code, Closure.date >= today).order_by(Closure.date)
    ).all()
    return [{"date": c.date.isoformat(), "reason": c.reason} for c in rows]


def release(session, db, settings, now, office_codes=None):
    """Create the slots of every day that has opened by ``now`` and does not have them yet. Idempotent: run
    by a timer on every replica; a day's slots are made once (unique office+start).

    Offices are read without a lock first; only those with a day to release are locked (FOR NO KEY UPDATE,
    skipping one another replica holds), and checked again under the lock. The 30 s timer thus locks
    nothing between releases, and never blocks the KEY SHARE that booking and ticket inserts take on the
    office row (their FK check)."""

    def first_day(office):
        today = capacity.local_today(now, office.timezone)
        until = capacity.open_until(now, office.timezone, settings.window_days, settings.release_time)
        return max(today, (office.released_until or today - timedelta(days=1)) + timedelta(days=1)), until

    query = select(Office.code, Office.timezone, Office.released_until).order_by(Office.code)
    if office_codes:
        query = query.where(Office.code.in_(office_codes))
    due = [o.code for o in session.execute(query).all() if _le(*first_day(o))]
    if not due:
        return {}
    locked = (
        select(Office)
        .where(Office.code.in_(due))
        .order_by(Office.code)
        .with_for_update(skip_locked=True, key_share=True)
        .execution_options(populate_existing=True)
    )
    released = {}
    for office in session.scalars(locked).all():
        first, until = first_day(office)
        if first > until:  # another replica released it meanwhile
            continue
        layout = layout_of(session, office)
        days = [first + timedelta(days=n) for n in range((until - first).days + 1)]
        insert_slots(session, office.code, [s for d in days for s in capacity.day_slots(layout, d)])
        office.released_until = until
        db.add_event(events.AVAILABILITY_CHANGED, events.availability_changed(office.code, days))
        released[office.code] = [d.isoformat() for d in days]
    return released


def _le(first, until):
    return first <= until


def insert_slots(session, office_code, specs):
    if not specs:
        return
    rows = [
        {
            "id": str(uuid.uuid4()),
            "office_code": office_code,
            "date": s.date,
            "start_at": s.start_at,
            "end_at": s.end_at,
            "capacity_minutes": s.capacity_minutes,
        }
        for s in specs
    ]
    session.execute(insert(Slot).values(rows).on_conflict_do_nothing(constraint="uq_slot_office_start"))


def update_capacity(session, db, settings, now, office_code, changes):
    """Apply a supervisor's change and re-plan the released future days. A slot that holds bookings is
    never dropped or shrunk below them: it keeps its bookings and, if the new plan has no place for it,
    is closed to new ones. Returns how many booked slots were kept that way."""
    # FOR NO KEY UPDATE: serialises capacity changes and releases without blocking booking inserts.
    office = session.get(Office, office_code, with_for_update={"key_share": True})
    if office is None:
        raise OfficeNotFound("no such office", office_code=office_code)
    for key in CAPACITY_FIELDS:
        if key in changes:
            setattr(office, key, changes[key])
    today = capacity.local_today(now, office.timezone)
    if "closures" in changes:
        session.execute(delete(Closure).where(Closure.office_code == office_code, Closure.date >= today))
        for closure in changes["closures"]:
            session.add(Closure(office_code=office_code, date=closure["date"], reason=closure.get("reason")))
    session.flush()

    layout = layout_of(session, office)
    until = office.released_until or today - timedelta(days=1)
    wanted = {}
    for n in range(max(0, (until - today).days + 1)):
        for spec in capacity.day_slots(layout, today + timedelta(days=n)):
            if spec.start_at > now:
                wanted[spec.start_at] = spec
    kept = 0
    future = session.scalars(
        select(Slot).where(Slot.office_code == office_code, Slot.start_at > now).with_for_update()
    ).all()
    for slot in future:
        spec = wanted.pop(slot.start_at, None)
        if spec is not None:
            slot.end_at = spec.end_at if slot.booked_count == 0 else slot.end_at
            slot.capacity_minutes = max(spec.capacity_minutes, slot.booked_minutes)
            slot.closed = False
        elif slot.booked_count == 0 and not _has_bookings(session, slot.id):
            session.delete(slot)
        else:
            slot.capacity_minutes = max(slot.capacity_minutes, slot.booked_minutes)
            slot.closed = True
            kept += 1
    session.flush()
    insert_slots(session, office_code, list(wanted.values()))
    db.add_event(events.AVAILABILITY_CHANGED, events.availability_changed(office_code))
    return kept


def _has_bookings(session, slot_id):
    # Cancelled and past bookings still point at their slot.
    return session.scalar(select(Booking.id).where(Booking.slot_id == slot_id).limit(1)) is not None
