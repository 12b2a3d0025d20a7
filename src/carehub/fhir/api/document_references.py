"""`/fhir/R4/DocumentReference`: a patient's clinical notes (their text inline) and files
(a signed download URL), through the note, document and upload use cases.

A note's id and a file's are both carehub ids, so a read asks the notes first, then the
files. Notes are versioned (every amendment kept): they alone have `_history`. A file is
created with its bytes inline and goes through the very checks of an upload.

A file's create takes no `If-None-Exist`: its only identifier is the document id carehub
gives it as it is stored, so no condition a client can write before the create would find
the file it makes, and a retry would add it again. The header is refused rather than
ignored, so a client relying on it learns that it does not hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Depends, Query, Request
from starlette.responses import Response

from carehub.clinical.errors import NoteNotFound
from carehub.clinical.service.notes import NoteService
from carehub.documents.model import Category, PatientFile, Scope
from carehub.documents.service import DocumentService
from carehub.documents.uploads import UploadService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.item_versions import VersionId, history_of, version_of
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.parameters import Count, Cursor, DateParam, PatientParam, ResourceId
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response, versioned_response
from carehub.fhir.bundles import history
from carehub.fhir.chained_pages import Source, StorePage, chained_page
from carehub.fhir.resources.document import CATEGORY_SYSTEM, document_reference_resource
from carehub.fhir.resources.note import CLINICAL_NOTE_SYSTEM, note_resource
from carehub.fhir.schemas.document_reference_write import UPLOAD_FIELDS, DocumentReferenceWrite
from carehub.fhir.search_params import (
    DateRange,
    Token,
    count_of,
    date_ranges,
    invalid,
    searched_patient,
)
from carehub.fhir.wire import FHIR_JSON
from carehub.fhir.writes import IF_NONE_EXIST, bad_condition
from carehub.kernel.errors import FieldError, Invalid, NotFound
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case
from carehub.web.links import public_link

TYPE = "DocumentReference"
CLINICAL_NOTE = "clinical-note"
_CATEGORIES = {c.value: c for c in Category}
router = fhir_router(f"/{TYPE}", 422)
Notes = Annotated[NoteService, Depends(use_case(NoteService))]
Documents = Annotated[DocumentService, Depends(use_case(DocumentService))]
Uploads = Annotated[UploadService, Depends(use_case(UploadService))]
CategoryParam = Annotated[
    str | None,
    Query(max_length=400, description="clinical-note, or a carehub category (lab, ...)"),
]
NewDocument = Annotated[DocumentReferenceWrite, Body(media_type=FHIR_JSON)]


@router.get("/{document_id}", responses={**fhir_ok("A DocumentReference"), **fhir_errors(404)})
async def read_document_reference(
    request: Request,
    actor: CurrentActor,
    notes: Notes,
    documents: Documents,
    document_id: ResourceId,
) -> Response:
    """A note (its ETag its version) or a file (with a download URL that expires)."""
    try:
        note = await notes.get_by_id(actor=actor, item_id=document_id)
    except NoteNotFound:
        linked = await documents.file(actor=actor, file_id=document_id)
        return _file_response(request, linked.file, linked.link)
    return versioned_response(note_resource(note), note.version)


@router.get(
    "/{document_id}/_history",
    responses={**fhir_ok("A history Bundle of a DocumentReference"), **fhir_errors(404)},
)
async def document_reference_history(
    request: Request,
    actor: CurrentActor,
    notes: Notes,
    documents: Documents,
    clock: AppClock,
    base: FhirBase,
    document_id: ResourceId,
) -> Response:
    """Every version of a note (as written, then each amendment), newest first; a file
    keeps only its current version."""
    path = f"{TYPE}/{document_id}"
    try:
        revisions = await notes.history_by_id(actor=actor, item_id=document_id)
    except NoteNotFound:
        linked = await documents.file(actor=actor, file_id=document_id)
        current = _file_resource(request, linked.file, linked.link)
        bundle = history(
            base=base, self_url=f"{base}/{path}/_history", versions=[current], clock=clock
        )
        return fhir_response(bundle)
    return history_of(revisions, note_resource, base=base, path=path, clock=clock)


@router.get(
    "/{document_id}/_history/{version}",
    responses={**fhir_ok("One version of a DocumentReference"), **fhir_errors(404)},
)
async def read_document_reference_version(
    request: Request,
    actor: CurrentActor,
    notes: Notes,
    documents: Documents,
    document_id: ResourceId,
    version: VersionId,
) -> Response:
    """A note as it stood at one version; a file at its current one."""
    try:
        revisions = await notes.history_by_id(actor=actor, item_id=document_id)
    except NoteNotFound:
        linked = await documents.file(actor=actor, file_id=document_id)
        if linked.file.revision != version:
            raise NotFound(f"{TYPE}/{document_id} keeps no version {version}") from None
        return _file_response(request, linked.file, linked.link)
    return version_of(revisions, version, note_resource)


@router.get(
    "", responses={**fhir_ok("A searchset Bundle of DocumentReferences"), **fhir_errors(404)}
)
async def search_document_references(
    request: Request,
    actor: CurrentActor,
    notes: Notes,
    documents: Documents,
    clock: AppClock,
    base: FhirBase,
    patient: PatientParam = None,
    category: CategoryParam = None,
    date: DateParam = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """One patient's notes (newest first), then their files (oldest first): `category`
    clinical-note for notes, a carehub category for files of it; `date` when each was
    written (a note's last change, a file's upload)."""
    patient_id = searched_patient(actor, patient)
    with_notes, file_categories = _sought(category)
    ranges = date_ranges("date", date)
    limit = count_of(count)

    async def read_notes(store_cursor: str | None, size: int) -> StorePage[dict[str, Any]]:
        page = await notes.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=store_cursor, limit=size
        )
        dated = [n for n in page.items if _dated(n.updated_at or n.created_at, ranges)]
        return [note_resource(n) for n in dated], page.next_cursor

    def read_files(only: Category | None) -> Source[dict[str, Any]]:
        async def read(store_cursor: str | None, size: int) -> StorePage[dict[str, Any]]:
            listing = await documents.list_files(
                actor=actor,
                patient_id=patient_id,
                scope=Scope.ORIGINALS,
                category=only,
                links=True,
                cursor=store_cursor,
                limit=size,
            )
            return [
                _file_resource(request, f, listing.links[f.id])
                for f in listing.page.items
                if _dated(f.completed_at or f.created_at, ranges)
            ], listing.page.next_cursor

        return Source(read, limit)

    sources = [Source(read_notes, limit)] if with_notes else []
    sources += [read_files(only) for only in file_categories]
    matches, following = await chained_page(sources, cursor, limit)
    sent = [("patient", patient), ("category", category)]
    return search_response(
        base=base,
        path=TYPE,
        parameters=[(k, v) for k, v in sent if v is not None] + [("date", d) for d in date or []],
        count=limit,
        cursor=cursor,
        next_cursor=following,
        matches=matches,
        clock=clock,
    )


@router.post(
    "",
    status_code=201,
    responses={
        **fhir_ok("The DocumentReference of the file added", 201),
        **fhir_errors(400, 404, 409, 422),
    },
)
async def create_document_reference(
    request: Request,
    actor: CurrentActor,
    uploads: Uploads,
    documents: Documents,
    base: FhirBase,
    body: NewDocument,
) -> Response:
    """Add a file to the patient's record from `content[0].attachment.data` (base64, in a
    body of at most 1 MiB): the same checks as an upload (allowed type, its content proving
    it, size, images that decode). No conditional create: `If-None-Exist` is refused."""
    if IF_NONE_EXIST in request.headers:
        raise bad_condition(
            "A file's create is not conditional: its only identifier is the document id "
            "carehub gives it"
        )
    inline = body.upload()
    try:
        file = await uploads.upload(
            actor=actor, patient_id=inline.patient_id, request=inline.request, data=inline.data
        )
    except Invalid as exc:
        raise _as_elements(exc) from None
    linked = await documents.file(actor=actor, file_id=file.id)
    response = _file_response(request, linked.file, linked.link, status=201)
    response.headers["Location"] = f"{base}/{TYPE}/{file.id}/_history/{file.revision}"
    return response


def _sought(category: str | None) -> tuple[bool, list[Category | None]]:
    """Whether notes are sought, and the categories of files (None: every one)."""
    if category is None:
        return True, [None]
    with_notes = False
    categories: list[Category | None] = []
    for part in category.split(","):
        token = Token.parse("category", part)
        if token.system in (None, CLINICAL_NOTE_SYSTEM) and token.code == CLINICAL_NOTE:
            with_notes = True
        elif token.system == CATEGORY_SYSTEM and token.code is None:
            categories.append(None)
        elif token.system in (None, CATEGORY_SYSTEM) and token.code in _CATEGORIES:
            categories.append(_CATEGORIES[token.code])
        else:
            raise invalid(
                "category", "must be clinical-note or a carehub document category (lab, ...)"
            )
    return with_notes, [None] if None in categories else list(dict.fromkeys(categories))


def _dated(moment: datetime, ranges: list[DateRange]) -> bool:
    return all(r.admits(moment) for r in ranges)


def _file_resource(request: Request, file: PatientFile, link: str) -> dict[str, Any]:
    return document_reference_resource(file, public_link(request, link))


def _file_response(request: Request, file: PatientFile, link: str, status: int = 200) -> Response:
    return versioned_response(_file_resource(request, file, link), file.revision, status=status)


def _as_elements(error: Invalid) -> Invalid:
    """The upload's refusal, naming the resource's elements rather than its own fields."""
    errors = [FieldError(UPLOAD_FIELDS.get(e.field, e.field), e.message) for e in error.errors]
    return Invalid(error.detail, errors=errors)
