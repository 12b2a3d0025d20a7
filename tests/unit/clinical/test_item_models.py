"""The clinical record's pure rules: note amendments, medication and task transitions,
checklist completion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from carehub.clinical.checklists import Checklist, ChecklistStatus, ChecklistTemplate, Section
from carehub.clinical.checklists import TemplateItem as Step
from carehub.clinical.errors import ChecklistItemNotFound, TransitionRefused
from carehub.clinical.medications import CodeSystem, Medication, MedicationCode, MedicationStatus
from carehub.clinical.notes import Note, NoteContent, NoteStatus, Soap
from carehub.clinical.tasks import Task, TaskStatus
from carehub.clinical.templates import DISCHARGE, SHIPPED, SURGICAL_SAFETY
from carehub.kernel.errors import Invalid

NOW = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)


def a_note() -> Note:
    return Note(
        id="n1",
        patient_id="p1",
        author_id="u-doc",
        content=NoteContent(text="Cough for three days"),
        created_at=NOW,
    )


class TestNotes:
    def test_an_amendment_raises_the_version_and_keeps_the_author(self) -> None:
        amended = a_note().amended(NoteContent(text="Cough for four days"), LATER)
        assert (amended.version, amended.updated_at, amended.author_id) == (2, LATER, "u-doc")
        assert amended.content.text == "Cough for four days"

    def test_an_entered_in_error_note_needs_a_reason_and_then_cannot_change(self) -> None:
        with pytest.raises(Invalid):
            a_note().entered_in_error("  ", LATER)
        hidden = a_note().entered_in_error("Wrong patient", LATER)
        assert (hidden.status, hidden.error_reason, hidden.version) == (
            NoteStatus.ENTERED_IN_ERROR,
            "Wrong patient",
            2,
        )
        with pytest.raises(TransitionRefused):
            hidden.amended(NoteContent(text="x"), LATER)
        with pytest.raises(TransitionRefused):
            hidden.entered_in_error("again", LATER)

    @pytest.mark.parametrize(
        "content",
        [
            {},
            {"text": "a", "soap": Soap(plan="b")},
            {"text": "   "},
            {"soap": Soap()},
            {"text": "x" * 20_001},
            {"soap": Soap(plan="x" * 20_001)},
        ],
    )
    def test_content_is_text_or_soap_not_empty_and_bounded(
        self, content: dict[str, object]
    ) -> None:
        with pytest.raises(Invalid):
            NoteContent(**content)  # type: ignore[arg-type]

    def test_soap_needs_only_one_section(self) -> None:
        assert NoteContent(soap=Soap(assessment="Viral")).format == "soap"


def a_medication(**changes: object) -> Medication:
    fields: dict[str, object] = {
        "id": "m1",
        "patient_id": "p1",
        "name": "Amoxicillin",
        "prescriber_id": "d1",
        "start": date(2031, 3, 1),
        "created_at": NOW,
        "code": MedicationCode(CodeSystem.RXNORM, "723"),
        "dose": Decimal("500"),
        "dose_unit": "mg",
    }
    return Medication(**(fields | changes))  # type: ignore[arg-type]


class TestMedications:
    def test_stopping_needs_a_reason_and_ends_it_today(self) -> None:
        with pytest.raises(Invalid):
            a_medication().stopped("", LATER)
        stopped = a_medication().stopped("Rash", LATER)
        assert (stopped.status, stopped.stop_reason, stopped.end) == (
            MedicationStatus.STOPPED,
            "Rash",
            LATER.date(),
        )

    def test_a_course_that_ended_earlier_keeps_its_planned_end(self) -> None:
        done = a_medication(end=date(2031, 3, 7)).completed(LATER)
        assert (done.status, done.end) == (MedicationStatus.COMPLETED, date(2031, 3, 7))

    def test_a_stopped_or_completed_medication_does_not_change_again(self) -> None:
        for ended in (a_medication().stopped("Rash", LATER), a_medication().completed(LATER)):
            with pytest.raises(TransitionRefused):
                ended.stopped("again", LATER)
            with pytest.raises(TransitionRefused):
                ended.completed(LATER)

    def test_dates_and_doses_are_checked(self) -> None:
        with pytest.raises(Invalid):
            a_medication(end=date(2031, 2, 1))
        with pytest.raises(Invalid):
            a_medication(dose_unit=None)

    def test_the_same_code_is_another_active_medication_of_that_code(self) -> None:
        other = a_medication(id="m2")
        assert other.same_code_as(a_medication())
        assert not a_medication().same_code_as(a_medication())
        assert not a_medication(id="m3", code=None).same_code_as(a_medication())


def a_task(**changes: object) -> Task:
    fields: dict[str, object] = {
        "id": "t1",
        "patient_id": "p1",
        "title": "Call the lab",
        "created_by": "u-doc",
        "created_at": NOW,
        "assignee_id": "u-nurse",
        "due_at": LATER,
    }
    return Task(**(fields | changes))  # type: ignore[arg-type]


class TestTasks:
    @pytest.mark.parametrize(
        ("path", "allowed"),
        [
            ([TaskStatus.IN_PROGRESS, TaskStatus.DONE], True),
            ([TaskStatus.DONE], True),
            ([TaskStatus.CANCELLED], True),
            ([TaskStatus.IN_PROGRESS, TaskStatus.OPEN, TaskStatus.CANCELLED], True),
            ([TaskStatus.DONE, TaskStatus.OPEN], False),
            ([TaskStatus.CANCELLED, TaskStatus.IN_PROGRESS], False),
        ],
    )
    def test_status_moves(self, path: list[TaskStatus], allowed: bool) -> None:
        task = a_task()

        def walk() -> Task:
            current = task
            for status in path:
                current = current.changed(LATER, status=status)
            return current

        if allowed:
            assert walk().version == 1 + len(path)
        else:
            with pytest.raises(TransitionRefused):
                walk()

    def test_a_change_that_changes_nothing_keeps_the_version(self) -> None:
        task = a_task()
        assert task.changed(LATER, status=TaskStatus.OPEN, assignee_id="u-nurse") is task

    def test_who_a_change_hands_the_task_to(self) -> None:
        task = a_task()
        assert task.newly_assigned_to(None) == "u-nurse"
        assert task.newly_assigned_to(task) is None
        moved = task.changed(LATER, assignee_id="u-other")
        assert moved.newly_assigned_to(task) == "u-other"
        assert task.changed(LATER, assignee_id=None).newly_assigned_to(task) is None

    def test_overdue_only_while_open(self) -> None:
        task = a_task()
        assert not task.overdue(NOW)
        assert task.overdue(LATER + timedelta(seconds=1))
        assert not task.changed(LATER, status=TaskStatus.DONE).overdue(LATER + timedelta(days=1))
        assert not a_task(due_at=None).overdue(LATER + timedelta(days=1))


def started(template: ChecklistTemplate = SURGICAL_SAFETY) -> Checklist:
    return Checklist.started(template, checklist_id="c1", patient_id="p1", by="u-nurse", at=NOW)


class TestChecklists:
    def test_the_last_required_item_completes_it_and_then_it_is_read_only(self) -> None:
        checklist = started()
        required = checklist.missing
        assert "time-out.imaging" not in required  # optional
        for step in required:
            assert checklist.status is ChecklistStatus.IN_PROGRESS
            checklist = checklist.checked(step, by="u-nurse", at=LATER)
        assert (checklist.status, checklist.completed_at) == (ChecklistStatus.COMPLETED, LATER)
        assert checklist.version == 1 + len(required)
        with pytest.raises(TransitionRefused):
            checklist.checked("time-out.imaging", by="u-nurse", at=LATER)
        with pytest.raises(TransitionRefused):
            checklist.unchecked(required[0], by="u-nurse", at=LATER, reason="mistake")

    def test_unchecking_needs_a_reason_and_keeps_who_and_why(self) -> None:
        checklist = started(DISCHARGE).checked("discharge.summary", by="u-1", at=NOW)
        with pytest.raises(Invalid):
            checklist.unchecked("discharge.summary", by="u-2", at=LATER, reason=None)
        undone = checklist.unchecked("discharge.summary", by="u-2", at=LATER, reason="Not signed")
        state = undone.state("discharge.summary")
        assert state is not None
        assert (state.checked, state.by, state.at, state.reason) == (
            False,
            "u-2",
            LATER,
            "Not signed",
        )
        assert "discharge.summary" in undone.missing

    def test_an_item_is_not_checked_twice_or_unchecked_before_it_was_checked(self) -> None:
        checklist = started(DISCHARGE)
        with pytest.raises(TransitionRefused):
            checklist.unchecked("discharge.summary", by="u", at=NOW, reason="x")
        checked = checklist.checked("discharge.summary", by="u", at=NOW)
        with pytest.raises(TransitionRefused):
            checked.checked("discharge.summary", by="u", at=NOW)

    def test_an_unknown_item_is_not_found(self) -> None:
        with pytest.raises(ChecklistItemNotFound):
            started().checked("sign-in.nope", by="u", at=NOW)

    def test_the_shipped_surgical_checklist_has_its_three_sections(self) -> None:
        assert [s.id for s in SURGICAL_SAFETY.sections] == ["sign-in", "time-out", "sign-out"]
        assert set(SHIPPED) == {"surgical-safety", "discharge"}

    @pytest.mark.parametrize(
        "sections",
        [
            (),
            (Section("a", "A", ()),),
            (Section("a", "A", (Step("x", "X"), Step("x", "Y"))),),
            (Section("a", "A", (Step("a", "X"),)),),
            (Section("a", "A", tuple(Step(f"s{n}", "X") for n in range(101))),),
        ],
    )
    def test_templates_have_items_with_unique_ids(self, sections: tuple[Section, ...]) -> None:
        with pytest.raises(Invalid):
            ChecklistTemplate("t", "T", sections, created_at=NOW, created_by="admin")
