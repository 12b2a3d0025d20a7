"""The access gate: what every refusal and allowed access leaves in the audit trail."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import pytest

from carehub.kernel.access_gate import AccessGate, outcome_of
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord, Outcome
from carehub.kernel.errors import Forbidden, Invalid, NotFound
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.patient_directory import PatientContact
from tests.support.clock import AdjustableClock

STAFF_PE = Actor(id="u-staff", role=Role.STAFF, country_id="PE")
DOCTOR = Actor(id="u-doc", role=Role.DOCTOR, country_id="PE", practitioner_id="d-1")


class AuditOnlyUnitOfWork:
    """Keeps what was audited, and what had been committed when the use case failed."""

    def __init__(self) -> None:
        self.queued: list[AccessRecord] = []
        self.committed: list[AccessRecord] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.queued.clear()

    async def commit(self) -> None:
        self.committed.extend(self.queued)
        self.queued.clear()

    def record(self, event: DomainEvent) -> None:
        raise AssertionError("the gate records no events")

    def claim_idempotency(self, claim: IdempotencyClaim) -> None:
        raise AssertionError("the gate claims no idempotency keys")

    def audit(self, record: AccessRecord) -> None:
        self.queued.append(record)


class Directory:
    """One patient of Peru, in the care of doctor d-1 only when `in_care` says so."""

    def __init__(self, *, in_care: bool) -> None:
        self._in_care = in_care
        self.care_questions = 0

    async def contact(self, patient_id: str) -> PatientContact | None:
        if patient_id != "p-1":
            return None
        return PatientContact("p-1", "PE", True, None, None, "Ana")

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        self.care_questions += 1
        return self._in_care and practitioner_id == "d-1"


class Hidden(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"Patient {key} does not exist")


@pytest.fixture
def gate() -> AccessGate:
    return AccessGate(AdjustableClock(), "file")


async def test_a_visible_patient_passes_and_nothing_is_committed(gate: AccessGate) -> None:
    uow = AuditOnlyUnitOfWork()
    directory = Directory(in_care=False)
    patient = await gate.patient(uow, directory, STAFF_PE, "file.list", "p-1", Hidden)
    assert patient.patient_id == "p-1"
    assert uow.committed == [] and uow.queued == []
    assert directory.care_questions == 0  # only doctors cost a care look-up


async def test_a_missing_patient_is_refused_without_being_named(gate: AccessGate) -> None:
    uow = AuditOnlyUnitOfWork()
    with pytest.raises(Hidden):
        await gate.patient(uow, Directory(in_care=True), STAFF_PE, "file.list", "p-9", Hidden)
    [entry] = uow.committed
    assert (entry.outcome, entry.patient_ids, entry.resource_type) == (
        Outcome.NOT_FOUND,
        (),
        "file",
    )


async def test_a_patient_out_of_care_is_denied_and_named(gate: AccessGate) -> None:
    uow = AuditOnlyUnitOfWork()
    with pytest.raises(Hidden):
        await gate.patient(uow, Directory(in_care=False), DOCTOR, "file.list", "p-1", Hidden)
    [entry] = uow.committed
    assert (entry.outcome, entry.patient_ids, entry.action) == (
        Outcome.DENIED,
        ("p-1",),
        "file.list",
    )


async def test_hide_commits_the_refusal_and_raises_the_given_error(gate: AccessGate) -> None:
    uow = AuditOnlyUnitOfWork()
    with pytest.raises(Hidden):
        await gate.hide(uow, STAFF_PE, "hold.read", Hidden("h-1"), resource_id="h-1")
    [entry] = uow.committed
    assert (entry.resource_id, entry.outcome, entry.patient_ids) == ("h-1", Outcome.NOT_FOUND, ())


def test_refusals_are_denied_by_access_rules_and_failed_by_any_other() -> None:
    assert outcome_of(Forbidden("no")) is Outcome.DENIED
    assert outcome_of(Invalid("bad")) is Outcome.FAILED


def test_a_list_names_every_patient_it_touched(gate: AccessGate) -> None:
    entry = gate.listed(STAFF_PE, "file.list", ("p-1", "p-2"))
    assert (entry.resource_id, entry.patient_ids, entry.outcome) == (
        None,
        ("p-1", "p-2"),
        Outcome.ALLOWED,
    )
