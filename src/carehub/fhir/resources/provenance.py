"""A change of a clinical note as a Provenance.

Notes are served as DocumentReferences (`note.py`), so a revision's target is the version
it made, `DocumentReference/{note id}/_history/{version}`, and from the second version on
the entity it revised is the version before. The Provenance's id is `{note id}.{version}`.
The agent is the carehub user who made the change, by identifier; the reason is the one
the rules asked for (an amendment's, an entry in error's).
"""

from __future__ import annotations

import re
from typing import Any

from carehub.clinical.notes import Note, NoteRevision
from carehub.fhir.wire import instant, user_reference

_OPERATIONS = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
# A note's revisions by action; a note marked entered in error is nullified, not deleted.
_ACTIVITY = {"written": "CREATE", "amended": "UPDATE", "entered_in_error": "NULLIFY"}
_AUTHOR = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "author",
        }
    ]
}
_PROVENANCE_ID = re.compile(r"(?P<note>[A-Za-z0-9\-.]{1,54})\.(?P<version>[1-9]\d{0,8})")


def provenance_id(note_id: str, version: int) -> str:
    """The id of the Provenance of the note's `version`."""
    return f"{note_id}.{version}"


def parse_provenance_id(resource_id: str) -> tuple[str, int] | None:
    """The note id and version a Provenance id names; None if it is not one."""
    match = _PROVENANCE_ID.fullmatch(resource_id)
    return None if match is None else (match["note"], int(match["version"]))


def provenance_resource(note: Note, revision: NoteRevision) -> dict[str, Any]:
    """Who changed the note to `revision.version`, when, how and why."""
    version = revision.version
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": provenance_id(note.id, version),
        "target": [_version(note.id, version)],
        "recorded": instant(revision.at),
        "activity": {"coding": [{"system": _OPERATIONS, "code": _activity(revision.action)}]},
        "agent": [{"type": _AUTHOR, "who": user_reference(revision.actor_id)}],
    }
    if revision.reason:
        resource["reason"] = [{"text": revision.reason}]
    if version > 1:
        resource["entity"] = [{"role": "revision", "what": _version(note.id, version - 1)}]
    return resource


def _activity(action: str) -> str:
    return _ACTIVITY.get(action, "UPDATE")


def _version(note_id: str, version: int) -> dict[str, Any]:
    return {"reference": f"DocumentReference/{note_id}/_history/{version}"}
