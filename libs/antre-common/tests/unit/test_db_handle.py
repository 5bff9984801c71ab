"""An event can only be added inside ``db.transaction()``: outside it would never be written."""

from types import SimpleNamespace

import pytest

from antre_common.db import DbHandle


def test_add_event_outside_a_transaction_is_refused():
    handle = DbHandle(SimpleNamespace(), SimpleNamespace(context_data={}))
    with pytest.raises(RuntimeError, match="outside db.transaction"):
        handle.add_event("thing_changed", {"n": 1})
    assert handle._events == []
