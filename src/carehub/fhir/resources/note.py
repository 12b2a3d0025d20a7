"""A clinical note as a DocumentReference (a clinical note, as US Core serves them): its
text is the attachment, inline, in plain text; SOAP sections are headed paragraphs.

A note's amendments are Provenances of its versions (`provenance.py`); this resource is
the note as it stands, `amended` once it has been.
"""

from __future__ import annotations

import base64
from typing import Any

from carehub.clinical.notes import Note, NoteContent, NoteStatus
from carehub.fhir import terminology
from carehub.fhir.wire import concept, instant, meta, reference, user_reference

_PROGRESS_NOTE = concept(terminology.LOINC, "11506-3", "Progress note")
CLINICAL_NOTE_SYSTEM = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
_CLINICAL_NOTE = {
    "coding": [
        {
            "system": CLINICAL_NOTE_SYSTEM,
            "code": "clinical-note",
            "display": "Clinical Note",
        }
    ]
}
_SOAP_HEADINGS = ("Subjective", "Objective", "Assessment", "Plan")


def note_resource(note: Note) -> dict[str, Any]:
    """The note as a DocumentReference holding its text."""
    changed = note.updated_at or note.created_at
    in_error = note.status is NoteStatus.ENTERED_IN_ERROR
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": note.id,
        "meta": meta(note.version, changed),
        "status": "entered-in-error" if in_error else "current",
        "docStatus": "final" if note.version == 1 or in_error else "amended",
        "type": _PROGRESS_NOTE,
        "category": [_CLINICAL_NOTE],
        "subject": reference("Patient", note.patient_id),
        "date": instant(changed),
        "author": [user_reference(note.author_id)],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(note_text(note.content).encode()).decode(),
                    "creation": instant(note.created_at),
                }
            }
        ],
    }
    if note.appointment_id:
        resource["context"] = {"related": [reference("Appointment", note.appointment_id)]}
    return resource


def note_text(content: NoteContent) -> str:
    """The note's text; SOAP sections as paragraphs headed by their names, empty ones left
    out."""
    if content.soap is None:
        return content.text or ""
    soap = content.soap
    sections = (soap.subjective, soap.objective, soap.assessment, soap.plan)
    return "\n\n".join(
        f"{heading}:\n{text}"
        for heading, text in zip(_SOAP_HEADINGS, sections, strict=True)
        if text
    )
