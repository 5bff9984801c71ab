"""The daily reconciliation: our payments of a day against the channel's settlements of that day.

Both sides are keyed by the channel's transaction id. The report lists what only we have (notified, not
settled: ask the channel), what only the channel has (settled, never notified or refused, e.g. an unknown
billing code or a wrong amount: money the state holds with no bill, to be returned by the channel), and
amounts that differ. Refunds are listed with their payments, so the day's net is what stays with the state.
"""


def compare(day, ours, settlements):
    """``ours``: ``[{transaction_id, billing_code, amount, refunded}]``; ``settlements``: the channel's
    ``[{transaction_id, billing_code, amount}]``."""
    mine = {p["transaction_id"]: p for p in ours}
    theirs = {s["transaction_id"]: s for s in settlements}
    only_ours = sorted(t for t in mine if t not in theirs)
    only_channel = sorted(t for t in theirs if t not in mine)
    mismatched = sorted(t for t in mine if t in theirs and int(theirs[t]["amount"]) != int(mine[t]["amount"]))
    received = sum(int(p["amount"]) for p in ours)
    refunded = sum(int(p["refunded"]) for p in ours)
    return {
        "day": day.isoformat(),
        "payments": len(ours),
        "settlements": len(settlements),
        "received": received,
        "refunded": refunded,
        "net": received - refunded,
        "settled": sum(int(s["amount"]) for s in settlements),
        "only_ours": [mine[t] for t in only_ours],
        "only_channel": [theirs[t] for t in only_channel],
        "amount_mismatch": [{"ours": mine[t], "channel": theirs[t]} for t in mismatched],
        "balanced": not (only_ours or only_channel or mismatched),
    }
