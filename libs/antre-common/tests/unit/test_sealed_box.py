"""Sealed boxes (issue 17): the sender seals with a public key and cannot open; the recipient opens with any
key of its ring; a box opens only for the place (associated data) it was made for."""

import pytest

from antre_common.keyring import InvalidTag, KeyRingError
from antre_common.sealed_box import OpeningKeys, SealingKey, new_pair, one_time_code_aad

pytestmark = pytest.mark.unit


def test_a_box_opens_with_the_recipients_ring_only_and_only_for_its_place():
    private, public = new_pair("o1")
    aad = one_time_code_aad("u-1", "email", "verify")
    box = SealingKey(public, "OTP_PUBLIC_KEY").seal("482913", aad)
    assert box.startswith("o1:") and "482913" not in box
    assert box != SealingKey(public, "OTP_PUBLIC_KEY").seal("482913", aad)  # a fresh ephemeral key each time
    assert OpeningKeys(private, "OTP_PRIVATE_KEYS").open(box, aad) == "482913"
    with pytest.raises(InvalidTag):
        OpeningKeys(private, "OTP_PRIVATE_KEYS").open(box, one_time_code_aad("u-2", "email", "verify"))
    with pytest.raises(InvalidTag):  # another recipient's key under the same id
        OpeningKeys(new_pair("o1")[0], "OTP_PRIVATE_KEYS").open(box, aad)


def test_the_key_rotates_without_a_lost_box():
    old_private, old_public = new_pair("o1")
    new_private, new_public = new_pair("o2")
    waiting = SealingKey(old_public, "K").seal("111111", "a")  # sealed before the sender got the new key
    ring = OpeningKeys(f"{new_private},{old_private}", "K")
    assert ring.open(waiting, "a") == "111111"
    assert ring.open(SealingKey(new_public, "K").seal("222222", "a"), "a") == "222222"
    assert ring.public_spec("o2") == new_public
    with pytest.raises(KeyRingError):
        OpeningKeys(new_private, "K").open(waiting, "a")  # the old key dropped: its boxes are gone


def test_bad_configuration_stops_at_start():
    for spec in ("", "o1", "o1:not base64!", "o1:AAAA", f"{new_pair('a')[1]},{new_pair('b')[1]}"):
        with pytest.raises(KeyRingError):
            SealingKey(spec, "OTP_PUBLIC_KEY")
    with pytest.raises(KeyRingError):
        OpeningKeys("", "OTP_PRIVATE_KEYS")
