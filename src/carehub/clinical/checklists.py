"""Checklists: a template's sections and items, ticked for one patient until every required
item is checked; a completed checklist is read-only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from carehub.clinical.errors import ChecklistItemNotFound, TransitionRefused
from carehub.clinical.model import Revision, required_reason
from carehub.kernel.errors import FieldError, Invalid

MAX_SECTIONS = 20
MAX_ITEMS = 100  # in all sections together


@dataclass(frozen=True)
class TemplateItem:
    id: str  # unique in its template: `time-out.antibiotics`
    text: str
    required: bool = True


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[TemplateItem, ...]


@dataclass(frozen=True)
class ChecklistTemplate:
    id: str
    name: str
    sections: tuple[Section, ...]
    created_at: datetime
    created_by: str
    built_in: bool = False

    def __post_init__(self) -> None:
        items = [item.id for section in self.sections for item in section.items]
        if not items or len(items) > MAX_ITEMS or len(self.sections) > MAX_SECTIONS:
            raise Invalid(
                f"A template has 1 to {MAX_ITEMS} items in at most {MAX_SECTIONS} sections",
                errors=[FieldError("sections", "has no items, or too many")],
            )
        ids = [section.id for section in self.sections] + items
        if len(set(ids)) != len(ids):
            raise Invalid(
                "Section and item ids must be unique in a template",
                errors=[FieldError("sections", "repeats an id")],
            )


class ChecklistStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Check:
    """The state of one item: checked or not, and the last change's who, when and why."""

    checked: bool
    by: str
    at: datetime
    reason: str | None = None  # why it was unchecked


@dataclass(frozen=True)
class Checklist:
    id: str
    patient_id: str
    template_id: str
    name: str
    sections: tuple[Section, ...]  # copied from the template when the checklist starts
    started_by: str
    created_at: datetime
    checks: tuple[tuple[str, Check], ...] = ()  # item id -> its state, in the order changed
    status: ChecklistStatus = ChecklistStatus.IN_PROGRESS
    version: int = 1
    updated_at: datetime | None = None
    completed_at: datetime | None = None

    @classmethod
    def started(
        cls,
        template: ChecklistTemplate,
        *,
        checklist_id: str,
        patient_id: str,
        by: str,
        at: datetime,
    ) -> Checklist:
        return cls(
            id=checklist_id,
            patient_id=patient_id,
            template_id=template.id,
            name=template.name,
            sections=template.sections,
            started_by=by,
            created_at=at,
        )

    def state(self, item_id: str) -> Check | None:
        return dict(self.checks).get(item_id)

    def checked(self, item_id: str, *, by: str, at: datetime) -> Checklist:
        """The checklist with the item checked; it completes with its last required item."""
        return self._with(item_id, Check(True, by, at), at)

    def unchecked(self, item_id: str, *, by: str, at: datetime, reason: str | None) -> Checklist:
        return self._with(item_id, Check(False, by, at, required_reason(reason)), at)

    def item(self, item_id: str) -> TemplateItem:
        for section in self.sections:
            for item in section.items:
                if item.id == item_id:
                    return item
        raise ChecklistItemNotFound(item_id)

    @property
    def missing(self) -> list[str]:
        """The required items not checked yet, in order."""
        states = dict(self.checks)
        return [
            item.id
            for section in self.sections
            for item in section.items
            if item.required and not (item.id in states and states[item.id].checked)
        ]

    def _with(self, item_id: str, check: Check, at: datetime) -> Checklist:
        if self.status is ChecklistStatus.COMPLETED:
            raise TransitionRefused("checklist", "completed", "changed")
        self.item(item_id)
        current = self.state(item_id)
        if current is not None and current.checked == check.checked:
            verb = "checked" if check.checked else "unchecked"
            raise TransitionRefused("checklist item", verb, f"{verb} again")
        if current is None and not check.checked:
            raise TransitionRefused("checklist item", "not checked", "unchecked")
        checks = (*((i, c) for i, c in self.checks if i != item_id), (item_id, check))
        changed = replace(self, checks=checks, version=self.version + 1, updated_at=at)
        if not changed.missing:
            changed = replace(changed, status=ChecklistStatus.COMPLETED, completed_at=at)
        return changed


ChecklistRevision = Revision[Checklist]
