"""Finding a doctor by id, for this domain and every domain that reads doctors."""

from __future__ import annotations

from carehub.practitioners.errors import DoctorNotFound
from carehub.practitioners.model import Doctor
from carehub.practitioners.ports import DoctorReader


async def find_doctor(doctors: DoctorReader, doctor_id: str) -> Doctor:
    """A doctor by id; DoctorNotFound when there is none."""
    doctor = await doctors.get(doctor_id)
    if doctor is None:
        raise DoctorNotFound(doctor_id)
    return doctor
