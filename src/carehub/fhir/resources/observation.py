"""A checklist as Observations: one panel for the checklist and one member per item.

- The panel has the checklist's id; its code is the template's (system
  `urn:carehub:checklist`, code the template id, text the checklist's name); it is `final`
  once the checklist completed and `preliminary` until then; `effectivePeriod` runs from
  when it was started to when it completed; `hasMember` lists every item, in the
  template's order.
- An item is `{checklist id}.{n}`, n its place in the template from 1 (a checklist keeps
  the template's items as they were when it started, so n never moves); its code is the
  item's (system `urn:carehub:checklist:{template id}`, code the item id, text its label).
  A checked item is `final` with `valueBoolean` true, `effectiveDateTime` when it was
  checked and `performer` who checked it; an item checked and then unchecked is
  `amended` with `valueBoolean` false, when and by whom, and the reason as its note; an
  item never touched is `registered`, with no value yet.

Every one is of category `survey` (a checklist is an instrument of yes/no questions). Items
point to nothing above them: `partOf` cannot name an Observation, and the panel's
`hasMember` is FHIR's way to group. People are carehub users, named by identifier.
"""

from __future__ import annotations

import re
from typing import Any

from carehub.clinical.checklists import Check, Checklist, ChecklistStatus, TemplateItem
from carehub.fhir.wire import CAREHUB_SYSTEM, instant, meta, reference, user_reference

CHECKLIST_SYSTEM = f"{CAREHUB_SYSTEM}:checklist"
# Checklist ids are carehub-made (UUIDv7: letters, digits and dashes); an item adds `.n`.
_OBSERVATION_ID = re.compile(r"(?P<checklist>[A-Za-z0-9\-]{1,60})(?:\.(?P<position>[1-9]\d{0,2}))?")
_SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
        }
    ]
}


def checklist_observations(checklist: Checklist) -> list[dict[str, Any]]:
    """The checklist's panel, then one Observation per item in the template's order."""
    items = [item for section in checklist.sections for item in section.items]
    members = [
        _item(checklist, position, item, checklist.state(item.id))
        for position, item in enumerate(items, start=1)
    ]
    return [_panel(checklist, members), *members]


def checklist_item_id(checklist_id: str, position: int) -> str:
    """The id of the Observation of the checklist's `position`-th item (from 1)."""
    return f"{checklist_id}.{position}"


def parse_observation_id(resource_id: str) -> tuple[str, int | None] | None:
    """The checklist an Observation id names and the item's place in it (None for the
    panel); None if it is not one."""
    match = _OBSERVATION_ID.fullmatch(resource_id)
    if match is None:
        return None
    position = match["position"]
    return match["checklist"], None if position is None else int(position)


def _panel(checklist: Checklist, members: list[dict[str, Any]]) -> dict[str, Any]:
    completed = checklist.status is ChecklistStatus.COMPLETED
    period = {"start": instant(checklist.created_at)}
    if checklist.completed_at is not None:
        period["end"] = instant(checklist.completed_at)
    return {
        **_common(checklist, checklist.id),
        "status": "final" if completed else "preliminary",
        "code": {
            "coding": [{"system": CHECKLIST_SYSTEM, "code": checklist.template_id}],
            "text": checklist.name,
        },
        "effectivePeriod": period,
        "performer": [user_reference(checklist.started_by)],
        "hasMember": [reference("Observation", m["id"]) for m in members],
    }


def _item(
    checklist: Checklist, position: int, item: TemplateItem, check: Check | None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        **_common(checklist, checklist_item_id(checklist.id, position)),
        "status": "registered",
        "code": {
            "coding": [{"system": f"{CHECKLIST_SYSTEM}:{checklist.template_id}", "code": item.id}],
            "text": item.text,
        },
    }
    if check is None:
        return resource
    resource |= {
        "status": "final" if check.checked else "amended",
        "effectiveDateTime": instant(check.at),
        "performer": [user_reference(check.by)],
        "valueBoolean": check.checked,
    }
    if check.reason:
        resource["note"] = [{"text": check.reason}]
    return resource


def _common(checklist: Checklist, resource_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "meta": meta(checklist.version, checklist.updated_at or checklist.created_at),
        "category": [_SURVEY],
        "subject": reference("Patient", checklist.patient_id),
    }
