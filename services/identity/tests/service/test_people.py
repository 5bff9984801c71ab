"""``people``: the holders staff compare with the KTP at check-in (scheduling asks for a day's bookings)."""

import uuid

import pytest

from identity.exceptions import ValidationError

from .test_accounts import active_citizen, call, identity  # noqa: F401 - the fixture and its helpers


def test_people_answers_name_masked_nik_and_birth_date_of_known_holders_only(identity, citizen):  # noqa: F811
    user_id = active_citizen(identity, citizen)
    unknown = str(uuid.uuid4())
    found = call(identity, "people", [user_id, unknown], caller="scheduling")
    nik = citizen["nik"]
    assert found == {
        user_id: {
            "full_name": "Siti Rahmawati",
            "nik_masked": nik[:4] + "**" + nik[6:8] + "****" + nik[-4:],
            "birth_date": "1990-03-14",
        }
    }
    assert call(identity, "people", [], caller="scheduling") == {}
    with pytest.raises(ValidationError):
        call(identity, "people", ["not-a-uuid"], caller="scheduling")
    with pytest.raises(ValidationError):
        call(identity, "people", [unknown] * 501, caller="scheduling")
