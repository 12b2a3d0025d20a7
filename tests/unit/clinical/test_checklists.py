"""ChecklistService over the memory adapters: templates (shipped and defined by admins),
checklists completed by their last required item and read-only after, unchecking with a
reason, and concurrent checks that lose nothing."""

from __future__ import annotations

import asyncio

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.checklists import ChecklistStatus, Section, TemplateItem
from carehub.clinical.errors import (
    AdminsOnly,
    ChangedMeanwhile,
    ChecklistItemNotFound,
    TemplateNotFound,
    TemplateTaken,
    TransitionRefused,
    UnknownTemplate,
)
from carehub.clinical.service.checklists import ChecklistService
from carehub.clinical.templates import DISCHARGE, SURGICAL_SAFETY
from carehub.kernel.errors import Invalid
from tests.support.memory_world import ADMIN, ANA, event_types, last_audit
from tests.unit.clinical.conftest import DOCTOR, STAFF_PE

SECTIONS = [
    Section(
        "before",
        "Before",
        (
            TemplateItem("before.consent", "Consent signed"),
            TemplateItem("before.photo", "Photo", False),
        ),
    ),
    Section("after", "After", (TemplateItem("after.dressing", "Dressing applied"),)),
]


async def test_the_shipped_templates_come_first_and_admins_define_more(
    checklists: ChecklistService, store: MemoryStore
) -> None:
    defined = await checklists.define_template(
        actor=ADMIN, name="Minor procedure", sections=SECTIONS, template_id="minor"
    )
    assert [t.id for t in await checklists.templates()] == ["surgical-safety", "discharge", "minor"]
    assert await checklists.template(template_id="minor") == defined
    assert last_audit(store) == ("admin-1", "checklist_template.create", "allowed", ())
    for template_id in ("minor", "surgical-safety"):
        with pytest.raises(TemplateTaken):
            await checklists.define_template(
                actor=ADMIN, name="Again", sections=SECTIONS, template_id=template_id
            )
    with pytest.raises(AdminsOnly):
        await checklists.define_template(actor=STAFF_PE, name="Mine", sections=SECTIONS)
    assert last_audit(store) == ("staff-pe", "checklist_template.create", "denied", ())
    with pytest.raises(Invalid):
        await checklists.define_template(actor=ADMIN, name="Empty", sections=[])
    with pytest.raises(TemplateNotFound):
        await checklists.template(template_id="nope")
    assert await checklists.template(template_id="discharge") is DISCHARGE


async def test_the_last_required_item_completes_the_checklist_and_then_it_is_read_only(
    checklists: ChecklistService, store: MemoryStore
) -> None:
    await checklists.define_template(
        actor=ADMIN, name="Minor procedure", sections=SECTIONS, template_id="minor"
    )
    checklist = await checklists.start(actor=DOCTOR, patient_id="ana", template_id="minor")
    assert checklist.missing == ["before.consent", "after.dressing"]
    one = await checklists.check(
        actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id="before.consent"
    )
    assert one.status is ChecklistStatus.IN_PROGRESS
    done = await checklists.check(
        actor=STAFF_PE,
        patient_id="ana",
        checklist_id=checklist.id,
        item_id="after.dressing",
        if_version=2,
    )
    assert (done.status, done.missing, done.version) == (ChecklistStatus.COMPLETED, [], 3)
    assert event_types(store)[-4:] == [
        "clinical.checklist_started.v1",
        "clinical.checklist_item_checked.v1",
        "clinical.checklist_item_checked.v1",
        "clinical.checklist_completed.v1",
    ]
    for run in (
        checklists.check(
            actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id="before.photo"
        ),
        checklists.uncheck(
            actor=DOCTOR,
            patient_id="ana",
            checklist_id=checklist.id,
            item_id="before.consent",
            reason="x",
        ),
    ):
        with pytest.raises(TransitionRefused):
            await run
    assert last_audit(store) == ("user-dr", "checklist.uncheck", "failed", ("ana",))
    assert (await checklists.get(actor=ANA, patient_id="ana", item_id=checklist.id)) == done


async def test_unchecking_needs_a_reason_and_keeps_who_when_and_why(
    checklists: ChecklistService,
) -> None:
    checklist = await checklists.start(actor=DOCTOR, patient_id="ana", template_id="discharge")
    item = "discharge.summary"
    with pytest.raises(TransitionRefused):  # never checked
        await checklists.uncheck(
            actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id=item, reason="x"
        )
    await checklists.check(actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id=item)
    with pytest.raises(Invalid):
        await checklists.uncheck(
            actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id=item, reason=""
        )
    unchecked = await checklists.uncheck(
        actor=STAFF_PE,
        patient_id="ana",
        checklist_id=checklist.id,
        item_id=item,
        reason="Draft only",
    )
    state = unchecked.state(item)
    assert state is not None and (state.checked, state.by, state.reason) == (
        False,
        "staff-pe",
        "Draft only",
    )
    history = await checklists.history(actor=ANA, patient_id="ana", item_id=checklist.id)
    assert [(r.action, r.reason) for r in history] == [
        ("started", None),
        ("checked", None),
        ("unchecked", "Draft only"),
    ]
    with pytest.raises(ChecklistItemNotFound):
        await checklists.check(
            actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id="nope"
        )


async def test_a_checklist_starts_only_from_a_template_that_exists(
    checklists: ChecklistService, store: MemoryStore
) -> None:
    with pytest.raises(UnknownTemplate):
        await checklists.start(actor=DOCTOR, patient_id="ana", template_id="nope")
    assert last_audit(store) == ("user-dr", "checklist.start", "failed", ("ana",))


async def test_concurrent_checks_of_different_items_are_all_kept(
    checklists: ChecklistService,
) -> None:
    checklist = await checklists.start(
        actor=DOCTOR, patient_id="ana", template_id="surgical-safety"
    )
    items = [item.id for item in SURGICAL_SAFETY.sections[0].items]
    await asyncio.gather(
        *(
            checklists.check(actor=DOCTOR, patient_id="ana", checklist_id=checklist.id, item_id=i)
            for i in items
        )
    )
    final = await checklists.get(actor=DOCTOR, patient_id="ana", item_id=checklist.id)
    assert {i for i in items if (s := final.state(i)) is not None and s.checked} == set(items)
    assert final.version == 1 + len(items)
    with pytest.raises(ChangedMeanwhile):  # with If-Match, a stale version is refused
        await checklists.check(
            actor=DOCTOR,
            patient_id="ana",
            checklist_id=checklist.id,
            item_id="time-out.team",
            if_version=1,
        )
