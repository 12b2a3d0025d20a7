"""Object keys: carehub's own shape only, without health data, and nothing else parses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carehub.documents.errors import InvalidKey
from carehub.documents.model import (
    Category,
    FileStatus,
    Kind,
    ObjectKey,
    PatientFile,
    Scope,
    category_named,
)

STORAGE_KEY = "0123456789abcdef0123456789abcdef"
FILE_ID = "01928c3e-5f7a-7cc1-9a2b-3c4d5e6f7a8b"
NOW = datetime(2031, 1, 1, tzinfo=UTC)


def a_file(**overrides: object) -> PatientFile:
    fields: dict[str, object] = {
        "id": FILE_ID,
        "patient_id": "20250819644",
        "storage_key": STORAGE_KEY,
        "document_id": FILE_ID,
        "version": 1,
        "kind": Kind.DOC,
        "category": Category.PREOP,
        "filename": "María José Quispe - rodilla.jpg",
        "mime_type": "image/jpeg",
        "extension": "jpg",
        "status": FileStatus.READY,
        "created_at": NOW,
        "created_by": "user-1",
        "upload_expires_at": NOW + timedelta(minutes=15),
        **overrides,
    }
    return PatientFile(**fields)  # type: ignore[arg-type]


def test_keys_follow_seed_004s_layout_and_name_nobody() -> None:
    file = a_file()

    assert str(file.original_key) == (
        f"patients/{STORAGE_KEY}/originals/docs/preop/{FILE_ID}-original.jpg"
    )
    assert str(file.key(Scope.OPTIMIZED)) == (
        f"patients/{STORAGE_KEY}/optimized/docs/preop/{FILE_ID}-q80-1600w.jpg"
    )
    assert str(file.key(Scope.THUMB)).endswith("/thumb/docs/preop/" + FILE_ID + "-q80-320w.jpg")
    for key in file.all_keys():
        assert "Quispe" not in str(key) and file.patient_id not in str(key)


@pytest.mark.parametrize("kind", list(Kind))
def test_every_key_parses_back_to_itself(kind: Kind) -> None:
    file = a_file(kind=kind, category=Category.OT_NOTES, mime_type="image/png", extension="png")

    for key in file.all_keys():
        assert ObjectKey.parse(str(key)) == key
        assert str(ObjectKey.parse(str(key))) == str(key)


def test_a_pdf_shows_its_original_in_every_scope() -> None:
    pdf = a_file(mime_type="application/pdf", extension="pdf", category=Category.LAB)

    assert pdf.all_keys() == [pdf.original_key]
    assert pdf.shown_key(Scope.THUMB) == pdf.original_key
    derived = a_file(derived=frozenset({Scope.THUMB}))
    assert derived.shown_key(Scope.THUMB).scope is Scope.THUMB
    assert derived.shown_key(Scope.OPTIMIZED) == derived.original_key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "patients/UID/optimized/docs/preop/123-abc-q80-1600w.jpg",  # seed 004's placeholder
        f"/patients/{STORAGE_KEY}/originals/docs/preop/{FILE_ID}-original.jpg",
        f"patients/{STORAGE_KEY}/../{STORAGE_KEY}/originals/docs/preop/{FILE_ID}-original.jpg",
        f"patients/{STORAGE_KEY}/originals/docs/preop/../../{FILE_ID}-original.jpg",
        f"patients/{STORAGE_KEY}/originals/docs/preop_pics/{FILE_ID}-original.jpg",
        f"patients/{STORAGE_KEY}/originals/docs/xray/{FILE_ID}-original.jpg",
        f"patients/{STORAGE_KEY}/originals/invoices/preop/{FILE_ID}-original.jpg",
        f"patients/{STORAGE_KEY}/originals/docs/preop/{FILE_ID}-original.jpg\n",
        f"patients/{STORAGE_KEY.upper()}/originals/docs/preop/{FILE_ID}-original.jpg",
        f"patients\\{STORAGE_KEY}\\originals\\docs\\preop\\{FILE_ID}-original.jpg",
    ],
)
def test_anything_but_an_issued_shape_is_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        ObjectKey.parse(key)


@given(st.text(max_size=200))
def test_arbitrary_text_never_parses_into_a_key_with_dots(text: str) -> None:
    try:
        parsed = ObjectKey.parse(text)
    except InvalidKey:
        return
    assert ".." not in str(parsed) and str(parsed) == text


def test_seed_004_list_names_are_categories() -> None:
    assert category_named("preop_pics") is Category.PREOP
    assert category_named("lab") is Category.LAB
    assert category_named("xray") is None
