"""Who may read and write each kind of item of the clinical record: every role × P1, P2,
P3 and an id that does not exist (doctor A has P1 in care; the patient account is P1's).
A record out of reach answers exactly like a missing one, and every attempt is audited."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.clinical_world import (
    audited,
    new_checklist,
    new_medication,
    new_note,
    new_task,
    people_fixture,  # noqa: F401 (the fixture `people`)
    world_fixture,  # noqa: F401 (the fixture `world`)
)
from tests.api.test_authorization_matrix import SEE, assert_looks_missing
from tests.support.world import COUNTRY_OF, RECORDS, ROLES, Account, People

Operation = Callable[[Account, str], httpx.Response]
Table = dict[str, tuple[int, ...]]


def writes(created: int, *, prescribing: bool = False) -> Table:
    """Whoever sees the record writes it, but the patient; prescribing: not staff either."""
    table = {role: tuple(created if s == 200 else s for s in row) for role, row in SEE.items()}
    table["patient_p1"] = (403, 404, 404, 404)
    if prescribing:
        table["staff_pe"] = (403, 403, 404, 404)
        table["staff_cl"] = (404, 404, 403, 404)
    return table


def lister(kind: str) -> Operation:
    return lambda who, patient_id: who.client.get(f"/patients/{patient_id}/{kind}")


OPERATIONS: dict[str, tuple[Operation, Table]] = {
    "list-notes": (lister("notes"), SEE),
    "list-medications": (lister("medications"), SEE),
    "list-tasks": (lister("tasks"), SEE),
    "list-checklists": (lister("checklists"), SEE),
    "write-note": (lambda who, p: new_note(who.client, p), writes(201)),
    "start-medication": (
        lambda who, p: new_medication(who.client, p, prescriberId="pr-1"),
        writes(201, prescribing=True),
    ),
    "create-task": (lambda who, p: new_task(who.client, p), writes(201)),
    "start-checklist": (lambda who, p: new_checklist(who.client, p), writes(201)),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_clinical_operations(world: People, operation: str, role: str) -> None:
    run, table = OPERATIONS[operation]
    responses = {record: run(world[role], world.ids[record]) for record in RECORDS}
    statuses = tuple(responses[record].status_code for record in RECORDS)
    assert statuses == table[role], {r: (x.status_code, x.text[:200]) for r, x in responses.items()}
    for record in COUNTRY_OF:
        if responses[record].status_code == 404:
            assert_looks_missing(
                responses[record], world.ids[record], responses["missing"], world.ids["missing"]
            )


def test_each_kind_of_item_is_read_through_the_gate(world: People) -> None:
    """An item of P1 read by everyone: the patient, their doctor and their country's staff
    read it; doctor B and Chile's staff find no such patient; each attempt is audited."""
    p1, admin = world.ids["P1"], world["admin"].client
    items = {
        "notes": new_note(admin, p1).json()["id"],
        "medications": new_medication(admin, p1, prescriberId="pr-1").json()["id"],
        "tasks": new_task(admin, p1).json()["id"],
        "checklists": new_checklist(admin, p1).json()["id"],
    }
    for kind, item_id in items.items():
        for role, status in (
            ("patient_p1", 200),
            ("doctor_a", 200),
            ("staff_pe", 200),
            ("doctor_b", 404),
            ("staff_cl", 404),
        ):
            for suffix in ("", "/history"):
                path = f"/patients/{p1}/{kind}/{item_id}{suffix}"
                answer = world[role].client.get(path)
                assert answer.status_code == status, (role, path, answer.text)
    trail = audited(world, p1)
    for resource in ("note", "medication", "task", "checklist"):
        for action, outcome in (("read", "allowed"), ("history", "allowed"), ("read", "denied")):
            assert (f"{resource}.{action}", outcome, resource) in trail
