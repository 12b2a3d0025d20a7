"""Code system names and URIs as a Coding's system."""

from __future__ import annotations

import pytest

from carehub.fhir.terminology import ICD_10, ICD_10_CM, LOINC, SNOMED, system_uri


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        ("SNOMED CT", SNOMED),
        ("snomed-ct", SNOMED),
        ("icd10", ICD_10),
        ("CIE-10", ICD_10),
        ("ICD-10-CM", ICD_10_CM),
        ("LOINC", LOINC),
        ("http://snomed.info/sct", SNOMED),
        ("urn:oid:2.16.840.1.113883.6.96", "urn:oid:2.16.840.1.113883.6.96"),
        ("Lista local", None),
        ("local", None),
        ("", None),
        (None, None),
    ],
)
def test_a_system_is_its_uri_or_nothing(name: str | None, uri: str | None) -> None:
    assert system_uri(name) == uri
