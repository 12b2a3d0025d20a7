"""A patient account links only a patient record that exists, and one account per record."""

from __future__ import annotations

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.identity.commands import NewUser, UserChanges
from carehub.identity.errors import PatientLinkTaken
from carehub.identity.service import IdentityUseCases
from carehub.kernel.actor import Role
from carehub.kernel.errors import FieldError, Invalid
from tests.support.memory_world import ADMIN, NOW, add_patient


def patient_account(email: str, patient_id: str) -> NewUser:
    return NewUser(email=email, role=Role.PATIENT, country_id="PE", patient_id=patient_id)


async def test_an_account_cannot_link_a_record_that_does_not_exist(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    with pytest.raises(Invalid) as refused:
        await identity.accounts.create_user(
            actor=ADMIN, new=patient_account("ana@example.org", "ghost")
        )
    assert refused.value.errors == [FieldError("patientId", "no such patient")]
    assert store.users == {}
    add_patient(store, "ghost", "PE", NOW)  # the record appears later: now it links
    user = await identity.accounts.create_user(
        actor=ADMIN, new=patient_account("ana@example.org", "ghost")
    )
    assert store.users[user.id].patient_id == "ghost"


async def test_relinking_checks_the_new_record_too(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    add_patient(store, "ana", "PE", NOW)
    user = await identity.accounts.create_user(
        actor=ADMIN, new=patient_account("ana@example.org", "ana")
    )
    with pytest.raises(Invalid):
        await identity.accounts.change_user(
            actor=ADMIN, user_id=user.id, changes=UserChanges(patient_id="ghost")
        )
    assert store.users[user.id].patient_id == "ana"


async def test_a_record_has_at_most_one_patient_account(
    identity: IdentityUseCases, store: MemoryStore
) -> None:
    add_patient(store, "ana", "PE", NOW)
    add_patient(store, "luis", "PE", NOW)
    await identity.accounts.create_user(actor=ADMIN, new=patient_account("ana@example.org", "ana"))
    with pytest.raises(PatientLinkTaken):
        await identity.accounts.create_user(
            actor=ADMIN, new=patient_account("ana2@example.org", "ana")
        )
    luis = await identity.accounts.create_user(
        actor=ADMIN, new=patient_account("luis@example.org", "luis")
    )
    with pytest.raises(PatientLinkTaken):
        await identity.accounts.change_user(
            actor=ADMIN, user_id=luis.id, changes=UserChanges(patient_id="ana")
        )
    assert len(store.users) == 2
