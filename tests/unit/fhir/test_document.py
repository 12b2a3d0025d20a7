"""Patient files as DocumentReference."""

from __future__ import annotations

import pytest

from carehub.documents.model import Category, FileStatus, Kind
from carehub.fhir.resources.document import CATEGORY_SYSTEM, DOCUMENT_SYSTEM
from carehub.fhir.resources.document import document_reference_resource as mapped
from carehub.fhir.wire import USER_SYSTEM
from tests.support.fhir_checks import validated
from tests.support.file_records import a_file, file_id

URL = "https://files.clinic.example/patients/0123/originals/docs/lab/x-original.pdf?sig=abc"


def test_a_file_is_a_document_of_the_patient_with_its_download_url() -> None:
    resource = validated(mapped(a_file(1, size=48213), URL))

    assert resource["id"] == file_id(1)
    assert resource["identifier"] == [{"system": DOCUMENT_SYSTEM, "value": "doc-1"}]
    assert (resource["status"], resource["docStatus"]) == ("current", "final")
    assert resource["type"] == {
        "coding": [
            {"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}
        ],
        "text": "Laboratory report",
    }
    assert resource["category"] == [
        {"coding": [{"system": CATEGORY_SYSTEM, "code": "lab", "display": "Laboratory report"}]}
    ]
    assert resource["subject"] == {"reference": "Patient/p-1"}
    assert resource["date"] == "2031-03-10T08:01:00.000Z"
    assert resource["author"] == [{"identifier": {"system": USER_SYSTEM, "value": "user-1"}}]
    assert resource["content"] == [
        {
            "attachment": {
                "contentType": "application/pdf",
                "url": URL,
                "title": "report-1.pdf",
                "creation": "2031-03-10T08:00:00.000Z",
                "size": 48213,
            }
        }
    ]
    assert "context" not in resource


@pytest.mark.parametrize("category", list(Category))
def test_every_category_is_a_type_and_a_category(category: Category) -> None:
    resource = validated(mapped(a_file(1, category=category), URL))

    assert resource["category"][0]["coding"][0]["code"] == category.value
    assert resource["type"]["text"]


def test_an_earlier_version_is_superseded() -> None:
    resource = validated(mapped(a_file(1, superseded_by=file_id(2)), URL))

    assert resource["status"] == "superseded"


def test_a_file_still_uploading_is_preliminary() -> None:
    resource = validated(mapped(a_file(1, status=FileStatus.PENDING, completed_at=None), URL))

    assert (resource["status"], resource["docStatus"]) == ("current", "preliminary")
    assert resource["date"] == "2031-03-10T08:00:00.000Z"


@pytest.mark.parametrize("status", [FileStatus.REJECTED, FileStatus.ABANDONED, FileStatus.DELETED])
def test_a_file_that_is_no_document_is_entered_in_error(status: FileStatus) -> None:
    resource = validated(mapped(a_file(1, status=status), URL))

    assert resource["status"] == "entered-in-error"
    assert "docStatus" not in resource


@pytest.mark.parametrize(
    ("kind", "related"),
    [
        (Kind.NOTE, "DocumentReference"),
        (Kind.MED, "MedicationStatement"),
        (Kind.TASK, "Task"),
    ],
)
def test_a_file_attached_to_an_item_names_it(kind: Kind, related: str) -> None:
    resource = validated(mapped(a_file(1, kind=kind, item_id="item-7"), URL))

    assert resource["context"] == {"related": [{"reference": f"{related}/item-7"}]}
