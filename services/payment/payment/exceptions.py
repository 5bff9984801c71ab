"""Errors payment raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import (  # noqa: F401
    Forbidden,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)


class PaymentSignatureInvalid(ServiceError):
    """401: X-Signature missing, malformed, or made with none of the current channel keys."""

    code = "PAYMENT_SIGNATURE_INVALID"


class PaymentTimestampOutOfWindow(ServiceError):
    """401: signed too long ago or ahead (a replayed notification); the channel re-signs when it retries."""

    code = "PAYMENT_TIMESTAMP_OUT_OF_WINDOW"


class BillNotFound(NotFound):
    """404: no bill has this billing code (or the booking has no bill). Nothing is recorded."""

    code = "BILL_NOT_FOUND"


class PaymentAmountMismatch(ServiceError):
    """422: a bill is paid in full, exactly; another amount is refused and nothing is recorded."""

    code = "PAYMENT_AMOUNT_MISMATCH"


class PaymentTransactionConflict(ServiceError):
    """409: this transaction id was already notified for another bill or amount."""

    code = "PAYMENT_TRANSACTION_CONFLICT"


class ServiceHasNoFee(ServiceError):
    """409: the service is not billed before the visit (fees.yaml)."""

    code = "SERVICE_HAS_NO_FEE"


class AlreadyRefunded(ServiceError):
    """409: the bill's payment was refunded already; a refund happens once."""

    code = "ALREADY_REFUNDED"


class BillNotPaid(ServiceError):
    """409: nothing was paid on this bill, so there is nothing to refund."""

    code = "BILL_NOT_PAID"
