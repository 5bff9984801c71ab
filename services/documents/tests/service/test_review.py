"""Review before the visit: staff of an office see the documents waiting for review of coming visits,
oldest upload first and by name, and the coming visits with where each checklist stands."""

from datetime import UTC, datetime, timedelta

import pytest

from documents import samples
from documents.exceptions import Forbidden

from .conftest import OWNER, STAFF, new_booking


def visit(scheduling, days_ahead, office_code="JKT1"):
    booking = new_booking(office_code=office_code)
    booking["date"] = (datetime.now(UTC) + timedelta(days=days_ahead)).date().isoformat()
    scheduling[booking["reservation_code"]] = booking
    return booking["reservation_code"]


def test_documents_waiting_for_review_oldest_first_and_the_coming_visits(client, scheduling):
    later, sooner = visit(scheduling, 3), visit(scheduling, 2)
    elsewhere, gone = visit(scheduling, 2, office_code="SBY1"), visit(scheduling, -10)
    first = client.upload(later, "ktp", samples.pdf())
    second = client.upload(later, "kk", samples.pdf(3000))
    third = client.upload(sooner, "ktp", samples.pdf(4000))
    client.upload(elsewhere, "ktp", samples.pdf())
    client.upload(gone, "ktp", samples.pdf())

    waiting = client.call("office_documents", {"office_code": "JKT1"}, as_=STAFF)
    assert [d["document_id"] for d in waiting] == [first["document_id"], second["document_id"], third["document_id"]]
    assert [(d["name"], d["reservation_code"]) for d in waiting] == [
        ("KTP", later), ("Kartu Keluarga", later), ("KTP", sooner)]  # fmt: skip

    client.call("review", second["document_id"], "rejected", as_=STAFF, reason="Foto terpotong; unggah halaman penuh.")
    left = client.call("office_documents", {"office_code": "JKT1", "status": "uploaded"}, as_=STAFF)
    assert [d["document_id"] for d in left] == [first["document_id"], third["document_id"]]
    rejected = client.call("office_documents", {"office_code": "JKT1", "status": "rejected"}, as_=STAFF)
    assert [d["document_id"] for d in rejected] == [second["document_id"]]

    visits = client.call("office_visits", {"office_code": "JKT1"}, as_=STAFF)
    assert [v["reservation_code"] for v in visits] == [sooner, later]  # by visit date
    by_code = {v["reservation_code"]: v for v in visits}
    assert by_code[later] == {
        "reservation_code": later, "visit_date": by_code[later]["visit_date"], "service_code": "paspor_baru",
        "complete": False, "approved": False, "missing": [], "rejected": ["Kartu Keluarga"],
        "waiting_review": ["KTP"],
    }  # fmt: skip
    assert by_code[sooner]["missing"] == ["Kartu Keluarga"] and not by_code[sooner]["complete"]

    for stranger in (OWNER, {**STAFF, "office_code": "SBY1"}):
        with pytest.raises(Forbidden):
            client.call("office_documents", {"office_code": "JKT1"}, as_=stranger)
        with pytest.raises(Forbidden):
            client.call("office_visits", {"office_code": "JKT1"}, as_=stranger)
