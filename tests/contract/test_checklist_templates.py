"""The TemplateRepository port on every store: the checklist templates admins define (the
shipped ones are code, never rows)."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from carehub.clinical.checklists import Section, TemplateItem
from carehub.clinical.ports import ItemTaken
from carehub.clinical.templates import SURGICAL_SAFETY
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.support.clinical_records import NOW, NewClinicalUnit, a_template


async def test_templates_come_back_whole_and_listed_by_id(new_uow: NewClinicalUnit) -> None:
    madrid = timezone(timedelta(hours=1))
    cataract = a_template("cataract", created_at=NOW.astimezone(madrid))
    many = a_template(
        "a-long-one",
        sections=tuple(
            Section(
                f"s{s}",
                f"Section {s} ✓",
                tuple(TemplateItem(f"s{s}.i{i}", f"Ítem {i}", i % 2 == 0) for i in range(5)),
            )
            for s in range(4)
        ),
    )
    async with new_uow() as uow:
        assert await uow.checklist_templates.list_all() == []
        await uow.checklist_templates.add(cataract)
        await uow.checklist_templates.add(many)
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.checklist_templates.get(cataract.id) == cataract
        assert await uow.checklist_templates.get(many.id) == many
        assert await uow.checklist_templates.get("tpl-missing") is None
        # The shipped ones are not rows.
        assert await uow.checklist_templates.get(SURGICAL_SAFETY.id) is None
        assert await uow.checklist_templates.list_all() == [many, cataract]


async def test_a_template_id_is_added_once(new_uow: NewClinicalUnit) -> None:
    first = a_template("cataract")
    async with new_uow() as uow:
        await uow.checklist_templates.add(first)
        await uow.commit()
    async with new_uow() as uow:
        with pytest.raises(ItemTaken):
            await uow.checklist_templates.add(a_template("cataract", name="Another name"))
        await uow.checklist_templates.add(a_template("knee"))  # the unit goes on
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.checklist_templates.list_all() == [first, a_template("knee")]


async def test_a_template_is_stored_only_when_the_unit_commits(new_uow: NewClinicalUnit) -> None:
    async with new_uow() as uow:
        await uow.checklist_templates.add(a_template("cataract"))
    async with new_uow() as uow:
        assert await uow.checklist_templates.get("tpl-cataract") is None
        assert await uow.checklist_templates.list_all() == []
