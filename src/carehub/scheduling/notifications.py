"""Telling patients and doctors about their appointments, in the country's language.

Mail goes to both (where an address is known), a text message to the patient (where the
phone number is in E.164 form). Sending happens after the fact is committed and may repeat
if a consumer retries: a duplicate notice is better than a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from carehub.countries.lookup import find_country
from carehub.countries.model import Country
from carehub.countries.rules import render
from carehub.kernel.mail import Mailer, MailMessage
from carehub.kernel.patient_directory import PatientContact
from carehub.kernel.sms import SmsMessage, SmsSender, is_e164
from carehub.practitioners.model import Doctor
from carehub.scheduling.ports import SchedulingUnitOfWork


@dataclass(frozen=True)
class Notice:
    """One notice about one appointment (or offer) to send to its patient and doctor."""

    key: str  # a NOTICE_KEYS entry: a status, "rescheduled" or "offer"
    subject_id: str  # the appointment (or hold) it is about
    start: datetime
    reason: str | None = None
    expires_at: datetime | None = None


class Notifier:
    """Renders a notice in the country's locale and sends it through the mail and SMS ports."""

    def __init__(self, mailer: Mailer, sms: SmsSender) -> None:
        self._mailer = mailer
        self._sms = sms

    async def send(
        self,
        uow: SchedulingUnitOfWork,
        notice: Notice,
        *,
        doctor_id: str,
        patient_id: str,
        country_id: str,
    ) -> int:
        """Send the notice; returns how many messages went out."""
        doctor = await uow.doctors.get(doctor_id)
        patient = await uow.patient_directory.contact(patient_id)
        country = await find_country(uow.countries, country_id)
        if doctor is None or patient is None:
            return 0
        text = _rendered(country, doctor, notice)
        purpose = f"scheduling.{notice.key}"
        sent = 0
        for address in _addresses(patient, doctor):
            await self._mailer.send(MailMessage(address, text[0], text[1], purpose=purpose))
            sent += 1
        if patient.phone and is_e164(patient.phone):
            await self._sms.send(SmsMessage(patient.phone, text[1], purpose=purpose))
            sent += 1
        return sent


def _rendered(country: Country, doctor: Doctor, notice: Notice) -> tuple[str, str]:
    zone = ZoneInfo(doctor.time_zone)
    local = notice.start.astimezone(zone)
    fields = {
        "appointmentId": notice.subject_id,
        "localTime": f"{local:%Y-%m-%d %H:%M} ({doctor.time_zone})",
        "doctorName": doctor.name,
        "reason": notice.reason or "",
        "expiresAt": ""
        if notice.expires_at is None
        else f"{notice.expires_at.astimezone(zone):%H:%M} ({doctor.time_zone})",
    }
    text = render(country.all_texts(), country.locale, notice.key, **fields)
    return text.subject, text.body


def _addresses(patient: PatientContact, doctor: Doctor) -> list[str]:
    return [a for a in (patient.email, doctor.email) if a]
