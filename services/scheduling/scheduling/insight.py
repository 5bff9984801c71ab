"""Forecast and statistics for supervisors: plain aggregates over bookings and tickets of one office."""

import csv
import io
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, func, select

from scheduling import capacity, floor, staffing
from scheduling.exceptions import ValidationError
from scheduling.models import Booking, Slot, Ticket

MAX_DAYS = 31
CSV_COLUMNS = ("date", "timezone", "bookings", "cancellations", "no_shows", "walk_ins", "served", "mean_wait_minutes",
               "p90_wait_minutes", "mean_service_minutes")  # fmt: skip


def days_between(date_from, date_to):
    if date_to < date_from:
        raise ValidationError("invalid range", errors={"to": ["must not be before from"]})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationError("range too long", errors={"to": [f"at most {MAX_DAYS} days"]})
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def history(session, office_code, since, until):
    """``{date: staffing.Day}`` of the office's days in [since, until): bookings by slot date, tickets by day."""
    booked = session.execute(
        select(Slot.date, func.count(), func.count().filter(Booking.status == "no_show"))
        .select_from(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.office_code == office_code, Slot.date >= since, Slot.date < until, Booking.status != "cancelled")
        .group_by(Slot.date)
    ).all()
    came = session.execute(
        select(Ticket.day, func.count(), func.count().filter(Ticket.kind == "walk_in"))
        .where(Ticket.office_code == office_code, Ticket.day >= since, Ticket.day < until)
        .group_by(Ticket.day)
    ).all()
    days = {d: staffing.Day(booked=b, no_shows=n) for d, b, n in booked}
    for d, visitors, walk_ins in came:
        days[d] = replace(days.get(d, staffing.Day()), visitors=visitors, walk_ins=walk_ins)
    return days


def _booked_by_hour(session, office, days):
    """``{date: {local hour: bookings}}`` (not cancelled)."""
    hour = cast(func.extract("hour", func.timezone(office.timezone, Slot.start_at)), Integer)
    rows = session.execute(
        select(Slot.date, hour, func.count())
        .join(Booking, Booking.slot_id == Slot.id)
        .where(Slot.office_code == office.code, Slot.date.in_(days), Booking.status != "cancelled")
        .group_by(Slot.date, hour)
    ).all()
    out = {}
    for day, h, n in rows:
        out.setdefault(day, {})[h] = n
    return out


def _open_minutes_by_hour(layout, day):
    tz = ZoneInfo(layout.timezone)
    out = {}
    for spec in capacity.day_slots(layout, day):
        start, end = spec.start_at.astimezone(tz), spec.end_at.astimezone(tz)
        while start < end:
            step = min(end, start.replace(minute=0, second=0) + timedelta(hours=1))
            out[start.hour] = out.get(start.hour, 0) + (step - start).total_seconds() / 60
            start = step
    return out


def forecast(session, now, office, layout, durations, date_from, date_to, settings):
    """Per day: booked, expected no-shows (the office's recent rate), walk-ins (its recent same weekdays),
    visitors, and per hour the counters Erlang C needs for the service level (``SERVICE_LEVEL_TARGET``
    within ``SERVICE_LEVEL_MINUTES``) at the measured mean service time; the day needs its busiest hour's.
    ``backtest`` replays the last ``FORECAST_BACKTEST_DAYS`` days against who came."""
    today = capacity.local_today(now, office.timezone)
    days = days_between(date_from or today, date_to or today + timedelta(days=6))
    since = min(days[0], today) - timedelta(days=settings.backtest_days + staffing.HISTORY_DAYS)
    past = history(session, office.code, since, today)
    by_hour = _booked_by_hour(session, office, days)
    booked = {day: sum(hours.values()) for day, hours in by_hour.items()}
    measured = floor.measured_service_minutes(session, office.code, today - timedelta(days=1))
    service_minutes = measured or (sum(durations.values()) / len(durations) if durations else 20)
    backtest = staffing.backtest(past, today, settings.backtest_days)
    out = []
    for day in days:
        n = booked.get(day, 0)
        rate, walk, visitors = staffing.predict(past, day, n, today)
        opened = _open_minutes_by_hour(layout, day)
        walk = round(walk, 1) if opened else 0
        hours = staffing.hourly(opened, by_hour.get(day, {}), rate, walk, service_minutes,
                                settings.service_level_target, settings.service_level_minutes)  # fmt: skip
        out.append(
            {
                "date": day.isoformat(),
                "booked": n,
                "expected_no_show": round(n * rate, 1),
                "expected_walk_in": walk,
                "expected_visitors": round(staffing.expected(n, rate, walk), 1),
                "recommended_counters": staffing.recommended(hours),
                "hours": hours,
                "service_minutes": round(service_minutes, 1),
                "service_level": {
                    "target": settings.service_level_target,
                    "within_minutes": settings.service_level_minutes,
                },  # fmt: skip
                "backtest": backtest,
                "closed": capacity.closed_reason(layout, day),
            }
        )
    return out


def stats(session, now, office, date_from, date_to):
    """Per day: bookings, cancellations, no-shows (by slot date), walk-ins and served (tickets), mean and
    p90 wait from arrival to call, mean service time, in minutes."""
    today = capacity.local_today(now, office.timezone)
    days = days_between(date_from or today - timedelta(days=6), date_to or today)
    bookings = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                Slot.date,
                func.count(),
                func.count().filter(Booking.status == "cancelled"),
                func.count().filter(Booking.status == "no_show"),
            )
            .select_from(Booking)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.office_code == office.code, Slot.date.in_(days))
            .group_by(Slot.date)
        ).all()
    }
    wait = func.extract("epoch", Ticket.called_at - Ticket.issued_at) / 60
    service = func.extract("epoch", Ticket.finished_at - Ticket.started_at) / 60
    tickets = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                Ticket.day,
                func.count().filter(Ticket.kind == "walk_in"),
                func.count().filter(Ticket.status == "completed"),
                func.avg(wait),
                func.percentile_cont(0.9).within_group(wait),
                func.avg(case((Ticket.status == "completed", service))),
            )
            .where(Ticket.office_code == office.code, Ticket.day.in_(days))
            .group_by(Ticket.day)
        ).all()
    }
    out = []
    for day in days:
        b = bookings.get(day, (0, 0, 0))
        t = tickets.get(day, (0, 0, None, None, None))
        out.append(
            {
                "date": day.isoformat(),
                "bookings": b[0],
                "cancellations": b[1],
                "no_shows": b[2],
                "walk_ins": t[0],
                "served": t[1],
                "mean_wait_minutes": _round(t[2]),
                "p90_wait_minutes": _round(t[3]),
                "mean_service_minutes": _round(t[4]),
            }
        )
    return out


def stats_csv(rows, timezone):
    """The statistics as CSV: one row per office-local day (``timezone`` names it), aggregates only."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in dict(row, timezone=timezone).items()})
    return out.getvalue()


def _round(value):
    return None if value is None else round(float(value), 1)
