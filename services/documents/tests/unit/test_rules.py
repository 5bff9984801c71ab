"""Access, checklist and the RPC argument schemas: the rules that need neither broker nor database."""

from types import SimpleNamespace

import pytest

from antre_common.errors import load
from documents import access, checklist
from documents.exceptions import Forbidden, NotFound, ValidationError
from documents.schemas import BookingCreatedData, ChecklistArgs, ReviewArgs, UploadForm

BOOKING = SimpleNamespace(user_id="u-owner", office_code="JKT")
OWNER = {"user_id": "u-owner", "role": "citizen", "office_code": None}
OTHER = {"user_id": "u-other", "role": "citizen", "office_code": None}
STAFF = {"user_id": "s-1", "role": "officer", "office_code": "JKT"}
SUPERVISOR = {"user_id": "s-2", "role": "supervisor", "office_code": "JKT"}
ELSEWHERE = {"user_id": "s-3", "role": "officer", "office_code": "SBY"}
ADMIN = {"user_id": "a-1", "role": "admin", "office_code": None}


def outcome(check, principal):
    try:
        check(principal, BOOKING)
    except NotFound:
        return 404
    except Forbidden:
        return 403
    return 200


@pytest.mark.parametrize(
    ("principal", "read", "upload", "review"),
    [
        (OWNER, 200, 200, 403),
        (OTHER, 404, 404, 404),
        (STAFF, 200, 403, 200),
        (SUPERVISOR, 200, 403, 200),
        (ELSEWHERE, 404, 404, 404),
        (ADMIN, 200, 403, 200),
    ],
    ids=["owner", "other-citizen", "officer", "supervisor", "other-office", "admin"],
)
def test_access_matrix(principal, read, upload, review):
    assert outcome(access.check_read, principal) == read
    assert outcome(access.check_upload, principal) == upload
    assert outcome(access.check_review, principal) == review


def test_a_staff_member_with_the_owners_user_id_is_not_the_owner():
    assert not access.is_owner({"user_id": "u-owner", "role": "officer", "office_code": "SBY"}, BOOKING)


def item(doc_type, required=True, position=0):
    return SimpleNamespace(doc_type=doc_type, name=doc_type.title(), required=required, position=position)


def doc(doc_type, status):
    return SimpleNamespace(doc_type=doc_type, status=status, document_id=f"id-{doc_type}", reason=None)


def test_checklist_states_and_completeness():
    items = [item("ktp", position=0), item("kk", position=1), item("photo", required=False, position=2)]
    empty = checklist.build(items, [])
    assert [e["status"] for e in empty["checklist"]] == ["missing"] * 3
    assert empty["complete"] is False

    partial = checklist.build(items, [doc("ktp", "approved"), doc("kk", "rejected")])
    assert [e["status"] for e in partial["checklist"]] == ["approved", "rejected", "missing"]
    assert partial["checklist"][0]["document_id"] == "id-ktp"
    assert partial["complete"] is False

    done = checklist.build(items, [doc("ktp", "approved"), doc("kk", "uploaded")])
    assert done["complete"] is True  # the optional photo does not hold it back
    assert done["approved"] is False
    assert checklist.build(items, [doc("ktp", "approved"), doc("kk", "approved")])["approved"] is True


def test_rpc_arguments_are_validated_and_unknown_fields_refused():
    # The upload: the grant's arguments (RPC), then the streamed form's field (intake.py).
    good = {"reservation_code": "AB12CD"}
    assert load(ChecklistArgs(), good)["reservation_code"] == "AB12CD"
    assert load(UploadForm(), {"doc_type": "ktp"})["doc_type"] == "ktp"
    with pytest.raises(ValidationError) as exc:
        load(UploadForm(), {"doc_type": "../etc/passwd"})
    assert "doc_type" in exc.value.errors
    with pytest.raises(ValidationError):
        load(UploadForm(), {"doc_type": "ktp", "filename": "x.pdf"})
    with pytest.raises(ValidationError):  # the person comes from the verified token, never an argument
        load(ChecklistArgs(), {**good, "principal": {**OWNER, "role": "admin"}})


def test_a_rejection_needs_a_reason():
    base = {"document_id": "5b0f6a1e-8d0e-4a53-9a49-3f7f6c0f1b11"}
    assert load(ReviewArgs(), {**base, "decision": "approved"})["reason"] is None
    with pytest.raises(ValidationError) as exc:
        load(ReviewArgs(), {**base, "decision": "rejected", "reason": "  "})
    assert "reason" in exc.value.errors


def test_booking_events_may_carry_more_fields_than_documents_needs():
    data = {
        "booking_id": "b1",
        "reservation_code": "AB12CD",
        "user_id": "u1",
        "office_code": "JKT",
        "service_code": "paspor_baru",
        "date": "2026-12-01",
        "start": "2026-12-01T09:00:00+07:00",
    }
    assert load(BookingCreatedData(), data)["status"] == "confirmed"
