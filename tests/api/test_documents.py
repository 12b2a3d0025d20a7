"""Seed 004's patient documents over HTTP, on the embedded folder store (with SQLite and
PostgreSQL): presigned uploads, completion checks, variants, the seven categories,
detaching, deleting, the preop limit, versions and stamps."""

from __future__ import annotations

import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from PIL import Image

from tests.api.conftest import ApiServer
from tests.api.documents_world import (
    PDF,
    complete,
    documents,
    files,
    photo,
    post_form,
    presign,
    uploaded,
    variants_made,
)
from tests.api.scheduling_world import account, add_patient

# Patients here live in the shipped countries.
pytestmark = pytest.mark.usefixtures("shipped_countries")

SEED_PATIENT = "20250819644"
KEY = re.compile(r"patients/[0-9a-f]{32}/originals/docs/preop/[0-9a-f-]{36}-original\.jpg")


@pytest.fixture
def patient(api: httpx.Client) -> str:
    return add_patient(api, "PE", patientId=SEED_PATIENT, name="María José Quispe")


def test_seed_004_flow_presign_upload_complete_list_detach_delete(
    api: httpx.Client, patient: str
) -> None:
    empty = documents(api, patient)
    assert list(empty) == [
        "preop",
        "lab",
        "radiology",
        "intraop",
        "ot_notes",
        "postop",
        "discharge",
    ]
    assert not any(c["hasFiles"] for c in empty.values())

    response = presign(api, patient, filename="test.jpg", mime_type="image/jpeg")
    assert response.status_code == 200, response.text
    form = response.json()
    assert KEY.fullmatch(form["key"]), form["key"]
    assert patient not in form["key"] and "Quispe" not in form["key"]
    assert form["expiresIn"] == 900
    assert form["method"] == "POST"
    original = photo()
    assert post_form(form, original).status_code == 204

    done = complete(api, patient, form["key"])
    assert done.status_code == 200, done.text
    file = done.json()
    assert (file["status"], file["size"], file["width"]) == ("ready", len(original), 2000)
    assert file["sha256"] == hashlib.sha256(original).hexdigest()

    listed = variants_made(api, patient, file["fileId"])
    optimized_key = listed["key"]
    assert optimized_key.endswith("-q80-1600w.jpg") and "/optimized/docs/preop/" in optimized_key
    linked = files(api, patient, scope="optimized", kind="doc", docType="preop", presign=1)
    download = httpx.get(linked[0]["downloadUrl"], timeout=30)
    assert download.status_code == 200
    derived = Image.open(io.BytesIO(download.content))
    assert derived.size == (1600, 960)
    assert not derived.getexif() and b"Exif" not in download.content[:4096]
    thumb = httpx.get(files(api, patient, scope="thumb", presign=1)[0]["downloadUrl"], timeout=30)
    assert Image.open(io.BytesIO(thumb.content)).width == 320
    assert documents(api, patient)["preop"]["hasFiles"] is True

    detach = api.post(
        f"/patients/{patient}/documents/detach",
        json={"category": "preop_pics", "key": optimized_key},
    )
    assert detach.status_code == 200, detach.text
    assert documents(api, patient)["preop"]["hasFiles"] is False
    assert [f["attached"] for f in files(api, patient)] == [False]  # the objects stay
    assert httpx.get(linked[0]["downloadUrl"], timeout=30).status_code == 200

    deleted = api.post(
        f"/patients/{patient}/files/delete",
        json={"keys": [optimized_key], "invalidate": True, "includeSiblings": True},
    )
    assert deleted.status_code == 200, deleted.text
    assert sorted(k.split("/")[2] for k in deleted.json()["deleted"]) == [
        "optimized",
        "originals",
        "thumb",
    ]
    assert deleted.json()["invalidationId"] is None  # no CDN embedded
    assert files(api, patient) == []
    assert httpx.get(linked[0]["downloadUrl"], timeout=30).status_code == 404


def test_a_download_serves_byte_ranges(api: httpx.Client, patient: str) -> None:
    file = uploaded(
        api, patient, PDF, mime_type="application/pdf", filename="lab.pdf", doc_type="lab"
    )
    [listed] = files(api, patient, scope="originals", presign=1)

    response = httpx.get(listed["downloadUrl"], headers={"Range": "bytes=0-7"}, timeout=30)

    assert response.status_code == 206
    assert response.content == PDF[:8]
    assert file["variants"] == {"originals": file["key"], "optimized": None, "thumb": None}


def test_the_redirecting_download_route_is_audited(api: httpx.Client, patient: str) -> None:
    file = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="discharge")

    response = api.get(f"/patients/{patient}/files/download", params={"key": file["key"]})

    assert response.status_code == 307
    assert httpx.get(response.headers["Location"], timeout=30).content == PDF
    assert "file.download" in actions(api, patient)


def test_links_stay_on_carehub_whatever_host_the_client_names(
    server: ApiServer, api: httpx.Client, patient: str
) -> None:
    file = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    evil = {"Host": "evil.example"}

    form = api.post(
        f"/patients/{patient}/files/presign-upload",
        json={"filename": "a.pdf", "mimeType": "application/pdf", "kind": "doc", "docType": "lab"},
        headers=evil,
    ).json()
    [listed] = [
        f
        for f in api.get(
            f"/patients/{patient}/files",
            params={"scope": "originals", "presign": 1},
            headers=evil,
        ).json()["items"]
        if f["key"] == file["key"]
    ]
    redirect = api.get(
        f"/patients/{patient}/files/download", params={"key": file["key"]}, headers=evil
    )

    assert form["uploadUrl"] == f"{server.base_url}/objects/upload"
    assert listed["downloadUrl"].startswith(f"{server.base_url}/objects/")
    assert redirect.headers["Location"].startswith(f"{server.base_url}/objects/")
    assert httpx.get(redirect.headers["Location"], timeout=30).content == PDF


# --- rejections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "content", "reason"),
    [
        ("image/png", photo(64, 64), "type_mismatch"),
        ("application/pdf", b"<html><script>alert(1)</script></html>", "not_allowed"),
        ("image/jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 64, "unreadable"),
    ],
)
def test_an_upload_that_is_not_what_it_claims_is_deleted_and_never_listed(
    api: httpx.Client, patient: str, declared: str, content: bytes, reason: str
) -> None:
    form = presign(api, patient, mime_type=declared).json()
    assert post_form(form, content, declared).status_code == 204

    response = complete(api, patient, form["key"])

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "key", "message": reason}]
    assert files(api, patient) == []
    assert complete(api, patient, form["key"]).status_code == 422  # still rejected


def test_an_oversized_upload_is_refused_and_nothing_is_stored(
    server: ApiServer, api: httpx.Client, patient: str
) -> None:
    form = presign(api, patient).json()
    too_big = photo(64, 64) + b"\0" * (25 * 1024 * 1024)

    assert post_form(form, too_big).status_code == 413
    assert complete(api, patient, form["key"]).status_code == 409  # nothing arrived
    patient_folder = (server.data_dir / "objects" / form["key"]).parents[3]  # its storage key
    assert not [path for path in patient_folder.rglob("*") if path.is_file()]


def test_expired_and_tampered_upload_forms_are_refused(
    server: ApiServer, api: httpx.Client, patient: str
) -> None:
    form = presign(api, patient).json()
    tampered = {**form, "fields": {**form["fields"], "max-bytes": str(10**12)}}
    assert post_form(tampered, photo(64, 64)).status_code == 403

    server.clock.advance(timedelta(minutes=16))
    assert post_form(form, photo(64, 64)).status_code == 403
    assert complete(api, patient, form["key"]).status_code == 409


def test_a_tampered_download_url_is_refused(api: httpx.Client, patient: str) -> None:
    uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    [listed] = files(api, patient, scope="originals", presign=1)
    parts = urlsplit(listed["downloadUrl"])
    query = dict(parse_qsl(parts.query))
    query["expires"] = str(int(query["expires"]) + 3600)

    response = httpx.get(urlunsplit(parts._replace(query=urlencode(query))), timeout=30)

    assert response.status_code == 403


def test_keys_of_other_patients_and_made_up_keys_are_refused(
    api: httpx.Client, patient: str
) -> None:
    other = add_patient(api, "PE")
    theirs = uploaded(api, other, PDF, mime_type="application/pdf", doc_type="lab")
    uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    bad_keys = [
        theirs["key"],
        "../" + theirs["key"],
        "/" + theirs["key"],
        theirs["key"].replace("/originals/", "/originals/../"),
        "patients/UID/optimized/docs/preop/123-abc-q80-1600w.jpg",
    ]
    for key in bad_keys:
        for route, body in (
            ("files/complete", {"key": key}),
            ("files/delete", {"keys": [key]}),
            ("documents/detach", {"category": "lab", "key": key}),
        ):
            response = api.post(f"/patients/{patient}/{route}", json=body)
            assert response.status_code == 422, (route, key, response.text)
    assert len(files(api, other)) == 1  # nothing of theirs was touched


def test_presign_refuses_types_outside_the_allow_list_and_unknown_categories(
    api: httpx.Client, patient: str
) -> None:
    html = presign(api, patient, mime_type="text/html", filename="x.html")
    assert html.status_code == 422
    assert html.json()["errors"][0]["field"] == "mimeType"
    assert presign(api, patient, doc_type="xray").status_code == 422
    assert presign(api, patient, kind="invoice").status_code == 422


# --- the preop limit ------------------------------------------------------------------------


def test_a_fourth_preop_image_needs_replace_oldest(api: httpx.Client, patient: str) -> None:
    first, *_ = [uploaded(api, patient, photo(64, 64)) for _ in range(3)]

    refused = presign(api, patient)
    assert refused.status_code == 409, refused.text
    assert "replaceOldest" in refused.json()["detail"]
    assert presign(api, patient, mime_type="application/pdf").status_code == 200  # not an image

    fourth = uploaded(api, patient, photo(64, 64), replaceOldest=True)

    preop = documents(api, patient)["preop"]["files"]
    assert len(preop) == 3
    assert first["fileId"] not in {f["fileId"] for f in preop}
    assert fourth["fileId"] in {f["fileId"] for f in preop}


def test_concurrent_preop_uploads_never_exceed_three(api: httpx.Client, patient: str) -> None:
    for _ in range(2):
        uploaded(api, patient, photo(64, 64))
    forms = [presign(api, patient).json() for _ in range(6)]  # each sees 2 < 3
    for form in forms:
        assert post_form(form, photo(64, 64)).status_code == 204

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda f: complete(api, patient, f["key"]).status_code, forms))

    assert sorted(answers) == [200, 409, 409, 409, 409, 409]
    assert len(documents(api, patient)["preop"]["files"]) == 3


def test_concurrent_replace_oldest_keeps_exactly_three(api: httpx.Client, patient: str) -> None:
    for _ in range(3):
        uploaded(api, patient, photo(64, 64))
    forms = [presign(api, patient, replaceOldest=True).json() for _ in range(6)]
    for form in forms:
        assert post_form(form, photo(64, 64)).status_code == 204

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda f: complete(api, patient, f["key"]).status_code, forms))

    assert answers == [200] * 6
    preop = documents(api, patient)["preop"]["files"]
    assert len(preop) == 3
    assert len(files(api, patient)) == 9  # the replaced ones stay stored, detached


# --- versions and stamps --------------------------------------------------------------------


def test_a_new_version_keeps_the_earlier_ones_listed(api: httpx.Client, patient: str) -> None:
    v1 = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    v2 = uploaded(
        api,
        patient,
        PDF + b"%v2",
        mime_type="application/pdf",
        doc_type="lab",
        replaces=v1["fileId"],
    )

    lab = documents(api, patient)["lab"]["files"]
    assert [(f["version"], f["current"]) for f in lab] == [(1, False), (2, True)]
    assert {f["documentId"] for f in lab} == {v1["documentId"]} == {v2["documentId"]}


def test_stamps_are_made_by_doctors_never_edited_and_removed_by_admins_with_a_reason(
    server: ApiServer, api: httpx.Client, patient: str
) -> None:
    report = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="radiology")
    stamp_url = f"/patients/{patient}/documents/{report['fileId']}/stamp"
    doctor = doctor_in_care(server, api, patient)
    staff = account(server, "staff", "PE")

    assert staff.post(stamp_url, json={"note": "seen"}).status_code == 403
    stamped = doctor.post(stamp_url, json={"note": "Verified against the original film"})
    assert stamped.status_code == 201, stamped.text
    assert doctor.post(stamp_url, json={"note": "again"}).status_code == 409
    assert doctor.post(stamp_url + "/remove", json={"reason": "wrong patient"}).status_code == 403
    assert api.post(stamp_url + "/remove", json={}).status_code == 422
    removed = api.post(stamp_url + "/remove", json={"reason": "Stamped on the wrong study"})
    assert removed.status_code == 200, removed.text
    assert doctor.post(stamp_url, json={}).status_code == 201

    [shown] = documents(api, patient)["radiology"]["files"]
    assert shown["stamp"]["note"] is None
    assert [s["removalReason"] for s in shown["stamps"]] == ["Stamped on the wrong study", None]
    assert "document.stamp_remove" in actions(api, patient)
    preop = uploaded(api, patient, photo(64, 64))
    assert (
        doctor.post(f"/patients/{patient}/documents/{preop['fileId']}/stamp", json={}).status_code
        == 422
    )


# --- access ---------------------------------------------------------------------------------


def test_only_people_who_may_see_the_patient_touch_their_files(
    server: ApiServer, api: httpx.Client, patient: str
) -> None:
    file = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    own = account(server, "patient", "PE", patient_id=patient)
    stranger = account(server, "doctor", "PE")
    other_country = account(server, "staff", "CL")

    assert len(files(own, patient)) == 1
    for outsider in (stranger, other_country):
        assert outsider.get(f"/patients/{patient}/files").status_code == 404
        assert outsider.get(f"/patients/{patient}/documents").status_code == 404
        assert presign(outsider, patient).status_code == 404
        delete = outsider.post(f"/patients/{patient}/files/delete", json={"key": file["key"]})
        assert delete.status_code == 404
    assert len(files(api, patient)) == 1


def test_every_file_action_shows_in_the_patients_access_log(
    api: httpx.Client, patient: str
) -> None:
    file = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    files(api, patient, presign=1)
    documents(api, patient)
    api.post(f"/patients/{patient}/documents/detach", json={"category": "lab", "key": file["key"]})
    api.post(f"/patients/{patient}/files/delete", json={"key": file["key"]})

    assert {
        "file.presign_upload",
        "file.upload",
        "file.list",
        "file.download",
        "document.list",
        "document.detach",
        "file.delete",
    } <= set(actions(api, patient))


# --- helpers --------------------------------------------------------------------------------


def actions(api: httpx.Client, patient_id: str) -> list[str]:
    response = api.get(f"/patients/{patient_id}/access-log", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in response.json()["items"]]


def doctor_in_care(server: ApiServer, api: httpx.Client, patient_id: str) -> httpx.Client:
    """A doctor's client, with the patient put in their care."""
    email_doctor = account(server, "doctor", "PE")
    me: dict[str, Any] = email_doctor.get("/users/me").json()
    response = api.post(
        f"/patients/{patient_id}/care-team", json={"practitionerId": me["practitionerId"]}
    )
    assert response.status_code == 204, response.text
    return email_doctor


def test_deleting_a_key_that_does_not_exist_is_404_and_deletes_nothing(
    api: httpx.Client, patient: str
) -> None:
    file = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")
    key = file["key"]
    missing = re.sub(r"/[0-9a-f-]{36}-", "/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-", key)
    assert missing != key

    alone = api.post(f"/patients/{patient}/files/delete", json={"keys": [missing]})
    assert alone.status_code == 404, alone.text
    assert alone.headers["content-type"] == "application/problem+json"
    assert alone.json()["errors"] == [{"field": "keys", "message": f"{missing} does not exist"}]

    mixed = api.post(f"/patients/{patient}/files/delete", json={"keys": [key, missing]})
    assert mixed.status_code == 404, mixed.text
    assert mixed.json()["errors"] == [{"field": "keys", "message": f"{missing} does not exist"}]
    assert [f["key"] for f in files(api, patient)] == [key]  # nothing was deleted

    assert api.post(f"/patients/{patient}/files/delete", json={"keys": [key]}).status_code == 200
    again = api.post(f"/patients/{patient}/files/delete", json={"keys": [key]})
    assert again.status_code == 404, again.text
