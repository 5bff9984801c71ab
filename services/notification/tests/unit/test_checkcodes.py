"""Check codes: random, typeable, read back whatever way people type them, and stored only keyed or sealed."""

import pytest

from antre_common.keyring import InvalidTag
from notification.checkcodes import ALPHABET, LENGTH, CheckCodes, display, new_code, normalise

CODES = CheckCodes("a" * 43, "t1:" + "b" * 43)


def test_a_code_is_ten_crockford_characters_and_codes_do_not_repeat():
    codes = {new_code() for _ in range(20000)}
    assert len(codes) == 20000
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize("typed", ["7K3QD-M2XPA", "7k3qd m2xpa", " 7K3QDM2XPA ", "7k3qd-m2xpa", "7K3QD - M2XPA"])
def test_people_may_type_a_code_in_any_case_with_spaces_or_dashes(typed):
    assert normalise(typed) == "7K3QDM2XPA"


def test_o_i_and_l_are_read_as_0_and_1():
    assert normalise("O1ILO-00000") == "01110" + "00000"


@pytest.mark.parametrize("typed", ["", "-", "7K3QD", "7K3QD-M2XPAA", "7K3QD-M2XPU", "7K3QD-M2XP!", None, 12])
def test_what_cannot_be_a_code_is_none(typed):
    assert normalise(typed) is None


def test_display_groups_by_five():
    assert display("7K3QDM2XPA") == "7K3QD-M2XPA"


def test_the_hash_is_keyed_and_the_same_for_every_typing():
    assert CODES.digest("7k3qd m2xpa") == CODES.digest("7K3QD-M2XPA")
    other = CheckCodes("c" * 43, "t1:" + "b" * 43)
    assert other.digest("7K3QD-M2XPA") != CODES.digest("7K3QD-M2XPA")
    assert CODES.digest("nonsense") != CODES.digest("7K3QD-M2XPA")
    assert len(CODES.digest("x" * 40)) == 64


def test_a_sealed_code_opens_only_for_its_own_delivery():
    check_hash, sealed = CODES.issue("d-1")
    code = CODES.open(sealed, "d-1")
    assert CODES.digest(code) == check_hash and code not in sealed
    with pytest.raises(InvalidTag):
        CODES.open(sealed, "d-2")


def test_a_short_or_missing_hash_key_stops_the_process():
    with pytest.raises(ValueError):
        CheckCodes("", "t1:" + "b" * 43)
    with pytest.raises(ValueError):
        CheckCodes("c2hvcnQ", "t1:" + "b" * 43)
