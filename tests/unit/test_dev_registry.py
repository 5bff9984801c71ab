"""The development population registry (antre_dev.registry): a fixed population whose NIKs identity accepts,
and names compared as the registry compares them."""

from datetime import date

from antre_dev.registry import Registry, name_key, synthetic_population
from identity.person import check_nik


def test_the_population_is_the_same_for_the_seed_and_every_nik_is_valid_for_its_birth_date():
    people = synthetic_population()
    assert people == synthetic_population()
    assert len(people) > 600
    for person in people.values():
        check_nik(person["nik"], date.fromisoformat(person["birth_date"]))  # shape, region, date digits
    relationships = {p["relationship"] for p in people.values()}
    assert {"head", "spouse", "child", "parent"} <= relationships


def test_verification_matches_nik_name_and_birth_date_and_tells_the_family_card():
    registry = Registry(synthetic_population(families=30))
    head = next(p for p in registry.people.values() if p["relationship"] == "head")
    answer = registry.verify({"nik": head["nik"], "full_name": f"  {head['full_name'].upper()}. ",
                              "birth_date": head["birth_date"]})  # fmt: skip
    assert answer["match"] and answer["family_card_number"] == head["family_card_number"]
    assert head["nik"] in {m["nik"] for m in answer["members"]}
    assert {m["relationship"] for m in answer["members"]} >= {"head"}
    wrong_date = registry.verify({**head, "birth_date": "1900-01-01"})
    assert wrong_date == {"match": False, "fields": {"nik": True, "full_name": True, "birth_date": False}}
    assert registry.verify({**head, "nik": "3171010101010001"})["match"] is False
    assert "members" not in wrong_date  # nothing about the family without a match


def test_residents_are_added_once_and_checked():
    registry = Registry({})
    resident = {"nik": "3273015403900001", "full_name": "Siti", "birth_date": "1990-03-14",
                "family_card_number": "3273010000000001", "relationship": "child"}  # fmt: skip
    assert registry.add(resident)[0] == 201
    assert registry.add(resident)[0] == 409
    assert registry.add({**resident, "nik": "12", "relationship": "cousin"})[1]["errors"].keys() == {
        "nik",
        "relationship",
    }
    assert registry.verify(resident)["members"][0]["relationship"] == "child"


def test_names_compare_without_case_spacing_punctuation_or_accents():
    assert name_key("  SITI   rahmawati. ") == name_key("Siti Rahmawati") == "siti rahmawati"
    assert name_key("Nyoman Śuarsa") == name_key("nyoman suarsa")
    assert name_key("Siti Rahmawati Putri") != name_key("Siti Rahmawati")
