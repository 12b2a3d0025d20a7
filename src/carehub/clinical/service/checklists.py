"""Checklists use cases: the templates (shipped ones and those admins define), a
patient's checklists started from them, and each item checked or unchecked (with a reason)
until the last required one completes the checklist."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from carehub.clinical import access
from carehub.clinical.checklists import Checklist, ChecklistStatus, ChecklistTemplate, Section
from carehub.clinical.errors import (
    ChecklistNotFound,
    TemplateNotFound,
    TemplateTaken,
    UnknownTemplate,
)
from carehub.clinical.events import (
    ChecklistCompleted,
    ChecklistEvent,
    ChecklistItemChecked,
    ChecklistItemUnchecked,
    ChecklistStarted,
)
from carehub.clinical.model import ItemKind
from carehub.clinical.ports import ClinicalUnitOfWork, ItemTaken
from carehub.clinical.service.record import Change, Concept, ItemRecord
from carehub.clinical.templates import SHIPPED
from carehub.kernel.access_gate import AccessGate, outcome_of
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import CarehubError
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.ids import new_id

CHECKLISTS = Concept(ItemKind.CHECKLIST, "checklist", lambda uow: uow.checklists, ChecklistNotFound)


class ChecklistService(ItemRecord[Checklist]):
    """Checklist templates, and the checklists of a patient."""

    def __init__(self, uow_factory: Callable[[], ClinicalUnitOfWork], clock: Clock) -> None:
        super().__init__(uow_factory, clock, CHECKLISTS)
        self._templates_gate = AccessGate(clock, "checklist_template")

    async def templates(self) -> list[ChecklistTemplate]:
        """The shipped templates, then those admins defined, by id (no patient data)."""
        async with self._uow() as uow:
            defined = await uow.checklist_templates.list_all()
        return [*SHIPPED.values(), *defined]

    async def template(self, *, template_id: str) -> ChecklistTemplate:
        async with self._uow() as uow:
            found = await _template(uow, template_id)
        if found is None:
            raise TemplateNotFound(template_id)
        return found

    async def define_template(
        self,
        *,
        actor: Actor,
        name: str,
        sections: Sequence[Section],
        template_id: str | None = None,
    ) -> ChecklistTemplate:
        """Add a template (admins); the shipped templates' ids are taken."""
        action = "checklist_template.create"
        template_id = template_id or new_id()
        async with self._uow() as uow:
            try:
                access.check_can_define_templates(actor)
                if template_id in SHIPPED:
                    raise TemplateTaken(template_id)
                template = ChecklistTemplate(
                    id=template_id,
                    name=name,
                    sections=tuple(sections),
                    created_at=self._clock.now(),
                    created_by=actor.id,
                )
                try:
                    await uow.checklist_templates.add(template)
                except ItemTaken:
                    raise TemplateTaken(template_id) from None
            except CarehubError as exc:
                # A template holds no patient data: its refusals name none.
                await self._templates_gate.refuse(
                    uow, actor, action, None, outcome_of(exc), template_id
                )
                raise
            uow.audit(self._templates_gate.record(actor, action, None, template.id))
            await uow.commit()
        return template

    async def start(
        self,
        *,
        actor: Actor,
        patient_id: str,
        template_id: str,
        idempotency: IdempotencyClaim | None = None,
    ) -> Checklist:
        """Start a checklist for the patient from a template (its sections are copied)."""

        async def build(uow: ClinicalUnitOfWork, now: datetime) -> Checklist:
            template = await _template(uow, template_id)
            if template is None:
                raise UnknownTemplate()
            return Checklist.started(
                template, checklist_id=new_id(), patient_id=patient_id, by=actor.id, at=now
            )

        return await self._create(
            actor=actor,
            patient_id=patient_id,
            build=build,
            events=lambda _, checklist, now: [
                ChecklistStarted.of_checklist(checklist, None, actor, now)
            ],
            verb="start",
            action="started",
            idempotency=idempotency,
        )

    async def check(
        self,
        *,
        actor: Actor,
        patient_id: str,
        checklist_id: str,
        item_id: str,
        if_version: int | None = None,
    ) -> Checklist:
        """Check one item; the last required one completes the checklist (read-only then).
        Without `if_version`, a check another writer stored first is kept, not lost."""

        async def checked(
            uow: ClinicalUnitOfWork, checklist: Checklist, now: datetime
        ) -> Checklist:
            return checklist.checked(item_id, by=actor.id, at=now)

        change = Change("check", "checked", checked, _events(ChecklistItemChecked, item_id, actor))
        return await self._change(
            change,
            actor=actor,
            patient_id=patient_id,
            item_id=checklist_id,
            if_version=if_version,
            retry=True,
        )

    async def uncheck(
        self,
        *,
        actor: Actor,
        patient_id: str,
        checklist_id: str,
        item_id: str,
        reason: str,
        if_version: int | None = None,
    ) -> Checklist:
        """Uncheck one item, with a reason (not on a completed checklist)."""

        async def unchecked(
            uow: ClinicalUnitOfWork, checklist: Checklist, now: datetime
        ) -> Checklist:
            return checklist.unchecked(item_id, by=actor.id, at=now, reason=reason)

        change = Change(
            "uncheck",
            "unchecked",
            unchecked,
            _events(ChecklistItemUnchecked, item_id, actor),
            reason=reason,
        )
        return await self._change(
            change,
            actor=actor,
            patient_id=patient_id,
            item_id=checklist_id,
            if_version=if_version,
            retry=True,
        )


def _events(
    kind: type[ChecklistEvent], item_id: str, actor: Actor
) -> Callable[[Checklist | None, Checklist, datetime], list[ChecklistEvent]]:
    """The change's event, and the completion when it was the last required item."""

    def events(before: Checklist | None, after: Checklist, now: datetime) -> list[ChecklistEvent]:
        found = [kind.of_checklist(after, item_id, actor, now)]
        if after.status is ChecklistStatus.COMPLETED:
            found.append(ChecklistCompleted.of_checklist(after, None, actor, now))
        return found

    return events


async def _template(uow: ClinicalUnitOfWork, template_id: str) -> ChecklistTemplate | None:
    return SHIPPED.get(template_id) or await uow.checklist_templates.get(template_id)
