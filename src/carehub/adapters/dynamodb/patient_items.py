"""A patient's items: the record, every version of it as it stood, the child items that
list it under its city, name words and condition terms, and the guards of its unique
values (docs/dynamodb.md, "patients")."""

from __future__ import annotations

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, utc_text
from carehub.adapters.sql.patients import patient_from_row, patient_row
from carehub.kernel.text import fold
from carehub.patients.model import Patient

RECORD = "PATIENT"
VERSION_KIND = "patient-version"
_VERSION = "VERSION#"
# Sorts after every digit: the end of a record's versions in its partition.
_VERSIONS_END = "~"
ALL_PATIENTS = "PATIENTS"
# As long as SQL's columns keep them.
_TOKEN_LENGTH = 128
_TERM_LENGTH = 256


def patient_key(patient_id: str) -> Key:
    return (f"PATIENT#{patient_id}", RECORD)


def version_key(patient_id: str, version: int) -> Key:
    """A version beside its record, in the record's partition: one Query reads them newest
    first. Zero-padded to MAX_VERSION's digits, so the sort key's order is the versions'."""
    return (f"PATIENT#{patient_id}", version_sort_key(version))


def version_sort_key(version: int) -> str:
    return f"{_VERSION}{version:010d}"


def versions_range(below: int | None) -> tuple[str, str]:
    """The sort keys (both inclusive) of a record's versions older than `below` (every
    version when None)."""
    last = _VERSION + _VERSIONS_END if below is None else version_sort_key(below - 1)
    return _VERSION, last


def care_key(practitioner_id: str, patient_id: str) -> Key:
    return (f"PATIENT#{patient_id}", f"CARE#{practitioner_id}")


def mrn_guard(country_id: str, mrn: str) -> Key:
    return (f"MRN#{country_id}#{mrn}", "GUARD")


def identifier_guard(system: str, value: str) -> Key:
    return (f"IDENTIFIER#{system}#{value}", "GUARD")


def mrn_counter(country_id: str) -> Key:
    return (f"MRN_COUNTER#{country_id}", "COUNTER")


def by_country(country_id: str) -> str:
    return f"COUNTRY#{country_id}#PATIENTS"


def by_birth_date(birth_date: str) -> str:
    return f"BIRTH#{birth_date}"


def by_city(city: str) -> str:
    return f"CITY#{city}"


def by_word(field: str, word: str) -> str:
    """Name words and condition terms are listed under their first character, so that one
    partition holds every word a prefix can match, and writes spread over many."""
    return f"{field}#{word[:1]}"


def patient_item(patient: Patient) -> Item:
    """The record, listed with everyone (GSI1), in its country (GSI2), by birth date (GSI3)."""
    birth = patient.details.birth_date
    return record_item(
        patient_key(patient.id),
        kind="patient",
        data=patient_row(patient),
        version=patient.version,
        indexes={
            "GSI1PK": ALL_PATIENTS,
            "GSI1SK": patient.id,
            "GSI2PK": by_country(patient.country_id),
            "GSI2SK": patient.id,
            "GSI3PK": None if birth is None else by_birth_date(birth.isoformat()),
            "GSI3SK": None if birth is None else patient.id,
        },
    )


def patient_from_item(item: Item) -> Patient:
    return patient_from_row(record_data(item))


def version_item(patient: Patient) -> Item:
    """A version of the record as it stood: `data` as the record's own; listed by no index,
    and of a kind of its own, so that nothing that reads records (search, reindexing)
    reads it."""
    item = record_item(
        version_key(patient.id, patient.version), kind=VERSION_KIND, data=patient_row(patient)
    )
    item["recorded_at"] = utc_text(patient.updated_at)
    return item


def child_items(patient: Patient) -> dict[Key, Item]:
    """The items that list the patient by city, name word and condition term (GSI1)."""
    pk = f"PATIENT#{patient.id}"
    children: dict[Key, Item] = {}

    def child(sk: str, partition: str, sort: str) -> None:
        children[(pk, sk)] = {
            "PK": pk,
            "SK": sk,
            "kind": "patient-key",
            "patient_id": patient.id,
            "GSI1PK": partition,
            "GSI1SK": sort,
        }

    details = patient.details
    address = details.address
    if address is not None and address.city:
        city = fold(address.city)
        child("CITY", by_city(city), patient.id)
    for token in {t[:_TOKEN_LENGTH] for t in details.name.search_tokens() if t}:
        child(f"NAME#{token}", by_word("NAME", token), f"{token}#{patient.id}")
    terms = {t[:_TERM_LENGTH] for entry in details.conditions for t in entry.search_terms()}
    for term in {t for t in terms if t}:
        child(f"TERM#{term}", by_word("TERM", term), f"{term}#{patient.id}")
    return children


def guard_item(key: Key, patient_id: str) -> Item:
    return {"PK": key[0], "SK": key[1], "kind": "patient-guard", "patient_id": patient_id}


def identifier_guards(patient: Patient) -> dict[Key, str]:
    """Each identifier's guard key, with the identifier's system."""
    return {identifier_guard(i.system, i.value): i.system for i in patient.details.identifiers}
