"""Files attached to notes, medications and tasks over HTTP, on every store: the upload
flow with `kind` and `itemId`, the listings by kind and item, and the refusals (an item of
another patient is answered exactly as a missing one)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.api.documents_world import PDF, documents, files, presign, uploaded
from tests.api.scheduling_world import add_patient

pytestmark = pytest.mark.usefixtures("shipped_countries")

PDF_TYPE = "application/pdf"


def record_items(server: ApiServer, patient_id: str) -> dict[str, str]:
    """A note, a medication and a task of the patient, made through their routes; their
    ids by the file kind that attaches to each."""
    made = {
        "note": ("notes", {"text": "Knee swelling"}),
        "med": ("medications", {"name": "Ibuprofen", "prescriberId": "dr-1"}),
        "task": ("tasks", {"title": "Change the dressing"}),
    }
    ids = {}
    with server.client() as admin:
        for kind, (route, body) in made.items():
            response = admin.post(f"/patients/{patient_id}/{route}", json=body)
            assert response.status_code == 201, response.text
            ids[kind] = response.json()["id"]
    return ids


def attached(
    api: httpx.Client, patient_id: str, kind: str, item_id: str, **fields: Any
) -> dict[str, Any]:
    return uploaded(
        api,
        patient_id,
        PDF,
        mime_type=PDF_TYPE,
        filename=f"{kind}.pdf",
        kind=kind,
        itemId=item_id,
        doc_type=fields.pop("doc_type", "lab"),
        **fields,
    )


def refusal(response: httpx.Response) -> tuple[str, list[dict[str, Any]]]:
    assert response.status_code == 422, response.text
    body = response.json()
    return body["detail"], body["errors"]


def test_files_attach_to_notes_medications_and_tasks_and_are_listed_by_kind_and_item(
    api: httpx.Client, server: ApiServer
) -> None:
    patient = add_patient(api, "PE")
    items = record_items(server, patient)
    doc = uploaded(api, patient, PDF, mime_type=PDF_TYPE, filename="lab.pdf", doc_type="lab")
    assert (doc["kind"], doc["itemId"]) == ("doc", None)
    made = {kind: attached(api, patient, kind, item_id) for kind, item_id in items.items()}
    for kind, file in made.items():
        assert (file["status"], file["kind"], file["itemId"]) == ("ready", kind, items[kind])
        assert f"/originals/{kind}s/lab/" in file["key"]

    def ids(**params: Any) -> list[str]:
        return [f["fileId"] for f in files(api, patient, **params)]

    every = [doc["fileId"], *(made[k]["fileId"] for k in ("note", "med", "task"))]
    assert ids() == every
    assert ids(kind="doc") == [doc["fileId"]]
    for kind, item_id in items.items():
        assert ids(kind=kind) == [made[kind]["fileId"]]
        assert ids(itemId=item_id) == [made[kind]["fileId"]]
        assert ids(kind=kind, itemId=item_id, docType="lab") == [made[kind]["fileId"]]
    assert ids(kind="doc", itemId=items["note"]) == []
    assert ids(itemId=str(uuid.uuid4())) == []
    [listed] = files(api, patient, itemId=items["med"])
    assert (listed["kind"], listed["itemId"]) == ("med", items["med"])

    record = documents(api, patient)
    assert [f["fileId"] for f in record["lab"]["files"]] == [doc["fileId"]]
    for kind in items:
        response = api.get(f"/patients/{patient}/documents", params={"kind": kind})
        assert response.status_code == 200, response.text
        lab = next(c for c in response.json()["categories"] if c["category"] == "lab")
        assert [(f["fileId"], f["itemId"]) for f in lab["files"]] == [
            (made[kind]["fileId"], items[kind])
        ]


def test_a_new_version_of_an_attachment_keeps_its_item(
    api: httpx.Client, server: ApiServer
) -> None:
    patient = add_patient(api, "PE")
    items = record_items(server, patient)
    first = attached(api, patient, "note", items["note"])
    second = attached(api, patient, "note", items["note"], replaces=first["fileId"])
    assert (second["documentId"], second["version"]) == (first["documentId"], 2)
    moved = presign(
        api,
        patient,
        mime_type=PDF_TYPE,
        kind="task",
        itemId=items["task"],
        doc_type="lab",
        replaces=second["fileId"],
    )
    assert [e["field"] for e in refusal(moved)[1]] == ["replaces"]


def test_an_attachment_names_an_item_of_its_kind_of_this_patient(
    api: httpx.Client, server: ApiServer
) -> None:
    patient = add_patient(api, "PE")
    other = add_patient(api, "PE")
    items = record_items(server, patient)
    others = record_items(server, other)

    def ask(kind: str, **fields: Any) -> httpx.Response:
        return presign(api, patient, mime_type=PDF_TYPE, kind=kind, doc_type="lab", **fields)

    for kind in ("note", "med", "task"):
        assert [e["field"] for e in refusal(ask(kind))[1]] == ["itemId"]
    assert [e["field"] for e in refusal(ask("doc", itemId=items["note"]))[1]] == ["itemId"]
    assert [e["field"] for e in refusal(ask("med", itemId=items["note"]))[1]] == ["itemId"]
    assert [e["field"] for e in refusal(ask("note", itemId=items["task"]))[1]] == ["itemId"]
    foreign = refusal(ask("note", itemId=others["note"]))
    missing = refusal(ask("note", itemId=str(uuid.uuid4())))
    assert foreign == missing
    assert others["note"] not in str(foreign)
    # Strict and bounded on the wire.
    for bad in (12345, "", "x" * 65, "a\nb"):
        assert refusal(ask("note", itemId=bad))[1][0]["field"] == "itemId"
    assert files(api, patient) == []
    for params in ({"itemId": ""}, {"itemId": "x" * 65}, {"kind": "checklist"}):
        assert api.get(f"/patients/{patient}/files", params=params).status_code == 422
    assert api.get(f"/patients/{patient}/documents", params={"kind": "nope"}).status_code == 422
