"""Scheduling's reader of patient records on DynamoDB: country, status, where to notify."""

from __future__ import annotations

from carehub.adapters.dynamodb.patient_items import care_key, patient_from_item, patient_key
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.kernel.patient_directory import PatientContact


class DynamoPatientDirectory:
    """The `PatientDirectory` reader port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def contact(self, patient_id: str) -> PatientContact | None:
        item = await self._session.get(patient_key(patient_id))
        if item is None:
            return None
        patient = patient_from_item(item)
        return PatientContact(
            patient_id=patient.id,
            country_id=patient.country_id,
            active=patient.active,
            email=patient.details.email,
            phone=patient.details.phone,
            display_name=patient.details.name.text,
        )

    async def in_care_of(self, practitioner_id: str, patient_id: str) -> bool:
        return await self._session.get(care_key(practitioner_id, patient_id)) is not None
