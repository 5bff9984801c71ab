"""Who may do what with a booking's documents. Anyone without a reason to know the booking exists gets
NotFound, never Forbidden, so ids cannot be probed."""

from documents.exceptions import Forbidden, NotFound

STAFF_ROLES = ("officer", "supervisor", "admin")


def is_owner(principal, booking):
    return principal["role"] == "citizen" and principal["user_id"] == booking.user_id


def is_office_staff(principal, booking):
    """Officers and supervisors of the booking's office; admins are national."""
    role = principal["role"]
    return role == "admin" or (role in STAFF_ROLES and principal.get("office_code") == booking.office_code)


def can_see(principal, booking):
    return is_owner(principal, booking) or is_office_staff(principal, booking)


def check_read(principal, booking):
    if not can_see(principal, booking):
        raise NotFound("no such booking")


def check_upload(principal, booking):
    """Only the owner uploads; staff of the office see the booking, so they are told "not allowed"."""
    check_read(principal, booking)
    if not is_owner(principal, booking):
        raise Forbidden("only the booking's owner uploads documents")


def check_review(principal, booking):
    """Staff of the office review; the owner sees the document, so they are told "not allowed"."""
    check_read(principal, booking)
    if not is_office_staff(principal, booking):
        raise Forbidden("only staff of the booking's office review documents")
