"""A booking's checklist: each document its service asks for, and where the citizen stands with it."""

MISSING = "missing"


def build(items, documents):
    """``{checklist: [...], complete, approved}`` from checklist items and the booking's current documents.

    ``complete``: every required document is uploaded and none of them is rejected (what the citizen can
    do before the visit). ``approved``: staff approved every required document."""
    by_type = {d.doc_type: d for d in documents}
    entries = []
    for item in sorted(items, key=lambda i: i.position):
        doc = by_type.get(item.doc_type)
        entries.append(
            {
                "type": item.doc_type,
                "name": item.name,
                "required": item.required,
                "document_id": doc.document_id if doc else None,
                "status": doc.status if doc else MISSING,
                "reason": doc.reason if doc else None,
            }
        )
    required = [e for e in entries if e["required"]]
    return {
        "checklist": entries,
        "complete": all(e["status"] in ("uploaded", "approved") for e in required),
        "approved": all(e["status"] == "approved" for e in required),
    }


def doc_types(items):
    """The document types a booking's checklist asks for."""
    return frozenset(i.doc_type for i in items)
