"""`/fhir/R4/Provenance`: who wrote, amended or marked in error each version of a clinical
note, and why, from the note's history (read, search by `target` or `patient`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Query
from starlette.responses import Response

from carehub.clinical.notes import Note, NoteRevision
from carehub.clinical.service.notes import NoteService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.parameters import Count, Cursor, PatientParam, ResourceId
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response
from carehub.fhir.chained_pages import Source, StorePage, chained_page
from carehub.fhir.resources.provenance import parse_provenance_id, provenance_resource
from carehub.fhir.search_params import count_of, invalid, searched_patient
from carehub.kernel.actor import Actor
from carehub.kernel.errors import NotFound
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import AppClock, use_case

TYPE = "Provenance"
# Notes read a page when searching by patient: each brings its whole history.
NOTES_A_PAGE = 5
# A note a target names: `DocumentReference/{id}`, with `/_history/{n}` for one version.
_TARGET = re.compile(
    r"(?:DocumentReference/)?(?P<note>[A-Za-z0-9\-.]{1,64})(?:/_history/(?P<version>[1-9]\d{0,8}))?"
)
router = fhir_router(f"/{TYPE}", 422)
Notes = Annotated[NoteService, Depends(use_case(NoteService))]
TargetParam = Annotated[
    str | None,
    Query(max_length=120, description="DocumentReference/id[/_history/n]: a note's changes"),
]


class ProvenanceNotFound(NotFound):
    def __init__(self, provenance_id: str) -> None:
        super().__init__(f"Provenance {provenance_id} does not exist")


@router.get("/{provenance_id}", responses={**fhir_ok("A Provenance"), **fhir_errors(404)})
async def read_provenance(actor: CurrentActor, notes: Notes, provenance_id: ResourceId) -> Response:
    """The change that made one version of a note (`{note id}.{version}`)."""
    named = parse_provenance_id(provenance_id)
    if named is None:
        raise ProvenanceNotFound(provenance_id)
    note_id, version = named
    revisions = await notes.history_by_id(actor=actor, item_id=note_id)
    found = _provenances(revisions, version)
    if not found:
        raise ProvenanceNotFound(provenance_id)
    return fhir_response(found[0])


@router.get("", responses={**fhir_ok("A searchset Bundle of Provenances"), **fhir_errors(404)})
async def search_provenances(
    actor: CurrentActor,
    notes: Notes,
    clock: AppClock,
    base: FhirBase,
    target: TargetParam = None,
    patient: PatientParam = None,
    count: Count = None,
    cursor: Cursor = None,
) -> Response:
    """The changes of one note (`target`), or of every note of a patient (newest note
    first, each note's changes oldest first)."""
    if target is not None:
        source = _of_target(actor, notes, target, patient)
    else:
        source = _of_patient(actor, notes, searched_patient(actor, patient))
    limit = count_of(count)
    matches, following = await chained_page([source], cursor, limit)
    sent = [("target", target), ("patient", patient)]
    return search_response(
        base=base,
        path=TYPE,
        parameters=[(k, v) for k, v in sent if v is not None],
        count=limit,
        cursor=cursor,
        next_cursor=following,
        matches=matches,
        clock=clock,
    )


def _of_target(
    actor: Actor, notes: NoteService, target: str, patient: str | None
) -> Source[dict[str, Any]]:
    match = _TARGET.fullmatch(target)
    if match is None:
        raise invalid("target", "must be DocumentReference/id (of a note), or with /_history/n")
    note_id, version = match["note"], match["version"]
    patient_id = None if patient is None else searched_patient(actor, patient)

    async def read(store_cursor: str | None, limit: int) -> StorePage[dict[str, Any]]:
        revisions = await notes.history_by_id(actor=actor, item_id=note_id)
        if patient_id is not None and revisions and revisions[0].item.patient_id != patient_id:
            return [], None
        return _provenances(revisions, None if version is None else int(version)), None

    return Source(read, 1)


def _of_patient(actor: Actor, notes: NoteService, patient_id: str) -> Source[dict[str, Any]]:
    async def read(store_cursor: str | None, limit: int) -> StorePage[dict[str, Any]]:
        page = await notes.list_for_patient(
            actor=actor, patient_id=patient_id, statuses=None, cursor=store_cursor, limit=limit
        )
        found: list[dict[str, Any]] = []
        for note in page.items:
            found += _provenances(await _history(actor, notes, note), None)
        return found, page.next_cursor

    return Source(read, NOTES_A_PAGE)


async def _history(actor: Actor, notes: NoteService, note: Note) -> list[NoteRevision]:
    return await notes.history(actor=actor, patient_id=note.patient_id, item_id=note.id)


def _provenances(revisions: list[NoteRevision], version: int | None) -> list[dict[str, Any]]:
    """The Provenance of each revision (only `version`'s when given), oldest first."""
    if not revisions:
        return []
    note = revisions[-1].item
    return [
        provenance_resource(note, r) for r in revisions if version is None or r.version == version
    ]
