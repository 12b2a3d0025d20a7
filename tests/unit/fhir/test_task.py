"""Medical tasks as Task."""

from __future__ import annotations

import pytest

from carehub.clinical.tasks import TaskStatus
from carehub.fhir.resources.task import task_resource
from carehub.fhir.wire import USER_SYSTEM
from tests.support.clinical_records import HOUR, NOW, a_task
from tests.support.fhir_checks import validated


def test_a_task_is_an_order_for_the_patient_given_to_a_user() -> None:
    resource = validated(task_resource(a_task(1)))

    assert resource["status"] == "requested"
    assert resource["intent"] == "order"
    assert resource["priority"] == "urgent"
    assert resource["description"] == "Call back with lab results 1"
    assert resource["for"] == {"reference": "Patient/p-1"}
    assert resource["owner"] == {"identifier": {"system": USER_SYSTEM, "value": "nurse-1"}}
    assert resource["requester"] == {"identifier": {"system": USER_SYSTEM, "value": "dr-1"}}
    assert resource["restriction"] == {"period": {"end": "2031-03-10T10:00:00.123Z"}}
    assert resource["note"] == [{"text": "Potassium was borderline; repeat in a week."}]
    assert resource["authoredOn"] == "2031-03-10T08:01:00.123Z"
    assert resource["meta"]["versionId"] == "1"


@pytest.mark.parametrize(
    ("status", "fhir_status"),
    [
        (TaskStatus.IN_PROGRESS, "in-progress"),
        (TaskStatus.DONE, "completed"),
        (TaskStatus.CANCELLED, "cancelled"),
    ],
)
def test_every_status_is_fhirs(status: TaskStatus, fhir_status: str) -> None:
    changed = a_task(1).changed(NOW + HOUR, status=status)

    resource = validated(task_resource(changed))

    assert resource["status"] == fhir_status
    assert resource["lastModified"] == "2031-03-10T09:00:00.123Z"
    assert resource["meta"]["versionId"] == "2"


def test_what_a_task_lacks_is_absent() -> None:
    resource = validated(task_resource(a_task(1, assignee_id=None, due_at=None, details="")))

    assert "owner" not in resource
    assert "restriction" not in resource
    assert "note" not in resource
