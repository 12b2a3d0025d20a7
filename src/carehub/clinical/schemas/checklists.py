"""Checklist bodies: templates (sections of items), a patient's checklists with the state
of each item, and their mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints

from carehub.clinical.checklists import (
    MAX_ITEMS,
    MAX_SECTIONS,
    Checklist,
    ChecklistStatus,
    ChecklistTemplate,
    Section,
    TemplateItem,
)
from carehub.clinical.schemas.item_wire import Id, RevisionFields
from carehub.web.schemas import WireModel
from carehub.web.text import ONE_LINE

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$"),
    ONE_LINE,
]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), ONE_LINE]


class TemplateItemWire(WireModel):
    id: Slug = Field(description="Unique in its template: lower case, digits, . _ -")
    text: Annotated[str, StringConstraints(min_length=1, max_length=300), ONE_LINE]
    required: StrictBool = True


class SectionWire(WireModel):
    id: Slug
    title: Title
    items: list[TemplateItemWire] = Field(min_length=1, max_length=MAX_ITEMS)

    def to_section(self) -> Section:
        items = tuple(TemplateItem(i.id, i.text, i.required) for i in self.items)
        return Section(self.id, self.title, items)


class ChecklistTemplateCreate(WireModel):
    id: Slug | None = Field(None, description="The shipped templates' ids are taken")
    name: Title
    sections: list[SectionWire] = Field(min_length=1, max_length=MAX_SECTIONS)

    def to_sections(self) -> list[Section]:
        return [section.to_section() for section in self.sections]


class ChecklistTemplateRead(WireModel):
    id: str
    name: str
    built_in: bool
    created_by: str
    created_at: datetime
    sections: list[SectionWire]


class ChecklistTemplateList(WireModel):
    items: list[ChecklistTemplateRead]


class ChecklistCreate(WireModel):
    template_id: Id


class CheckRead(WireModel):
    """The last change of an item: checked or not, who, when and (unchecking) why."""

    checked: bool
    by: str
    at: datetime
    reason: str | None


class ChecklistItemRead(WireModel):
    id: str
    text: str
    required: bool
    checked: bool
    last_change: CheckRead | None


class ChecklistSectionRead(WireModel):
    id: str
    title: str
    items: list[ChecklistItemRead]


class ChecklistRead(WireModel):
    id: str
    patient_id: str
    template_id: str
    name: str
    status: ChecklistStatus
    sections: list[ChecklistSectionRead]
    missing: list[str] = Field(description="The required items not checked yet")
    started_by: str
    version: int
    created_at: datetime
    updated_at: datetime | None
    completed_at: datetime | None


class ChecklistPage(WireModel):
    items: list[ChecklistRead]
    next_cursor: str | None


class ChecklistRevisionRead(RevisionFields):
    checklist: ChecklistRead


class ChecklistHistory(WireModel):
    items: list[ChecklistRevisionRead]


def template_json(template: ChecklistTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "builtIn": template.built_in,
        "createdBy": template.created_by,
        "createdAt": template.created_at,
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "items": [
                    {"id": item.id, "text": item.text, "required": item.required}
                    for item in section.items
                ],
            }
            for section in template.sections
        ],
    }


def checklist_json(checklist: Checklist) -> dict[str, Any]:
    return {
        "id": checklist.id,
        "patientId": checklist.patient_id,
        "templateId": checklist.template_id,
        "name": checklist.name,
        "status": checklist.status,
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "items": [_item_json(checklist, item) for item in section.items],
            }
            for section in checklist.sections
        ],
        "missing": checklist.missing,
        "startedBy": checklist.started_by,
        "version": checklist.version,
        "createdAt": checklist.created_at,
        "updatedAt": checklist.updated_at,
        "completedAt": checklist.completed_at,
    }


def _item_json(checklist: Checklist, item: TemplateItem) -> dict[str, Any]:
    state = checklist.state(item.id)
    change = None
    if state is not None:
        change = {"checked": state.checked, "by": state.by, "at": state.at, "reason": state.reason}
    return {
        "id": item.id,
        "text": item.text,
        "required": item.required,
        "checked": state is not None and state.checked,
        "lastChange": change,
    }
