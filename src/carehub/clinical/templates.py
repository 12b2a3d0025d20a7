"""The checklist templates carehub ships: the WHO surgical safety checklist and a discharge
checklist. They are code, not rows: every store has them, and no one edits them."""

from __future__ import annotations

from datetime import UTC, datetime

from carehub.clinical.checklists import ChecklistTemplate, Section, TemplateItem

_SHIPPED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _section(section_id: str, title: str, *items: tuple[str, str, bool]) -> Section:
    return Section(
        section_id,
        title,
        tuple(TemplateItem(f"{section_id}.{key}", text, required) for key, text, required in items),
    )


SURGICAL_SAFETY = ChecklistTemplate(
    id="surgical-safety",
    name="Surgical safety checklist (WHO)",
    created_at=_SHIPPED_AT,
    created_by="system:carehub",
    built_in=True,
    sections=(
        _section(
            "sign-in",
            "Sign in (before induction of anaesthesia)",
            ("identity", "Patient has confirmed identity, site, procedure and consent", True),
            ("site-marked", "Site marked, or not applicable", True),
            ("anaesthesia-check", "Anaesthesia machine and medication check complete", True),
            ("oximeter", "Pulse oximeter on the patient and functioning", True),
            ("allergy", "Known allergies checked", True),
            ("airway", "Difficult airway or aspiration risk assessed", True),
            ("blood-loss", "Risk of more than 500 ml blood loss assessed", True),
        ),
        _section(
            "time-out",
            "Time out (before skin incision)",
            ("team", "All team members introduced by name and role", True),
            ("confirm", "Patient, site and procedure confirmed aloud", True),
            ("antibiotics", "Antibiotic prophylaxis given in the last 60 minutes, or n/a", True),
            ("critical-events", "Anticipated critical events reviewed", True),
            ("imaging", "Essential imaging displayed", False),
        ),
        _section(
            "sign-out",
            "Sign out (before the patient leaves the operating room)",
            ("procedure", "Name of the procedure recorded", True),
            ("counts", "Instrument, sponge and needle counts correct", True),
            ("specimen", "Specimens labelled", True),
            ("equipment", "Equipment problems addressed", True),
            ("recovery", "Key concerns for recovery reviewed", True),
        ),
    ),
)

DISCHARGE = ChecklistTemplate(
    id="discharge",
    name="Discharge checklist",
    created_at=_SHIPPED_AT,
    created_by="system:carehub",
    built_in=True,
    sections=(
        _section(
            "discharge",
            "Before the patient leaves",
            ("summary", "Discharge summary written", True),
            ("medications", "Medications reconciled and prescriptions given", True),
            ("education", "Patient or carer told the warning signs and whom to call", True),
            ("follow-up", "Follow-up appointment booked", True),
            ("lines", "Lines and drains removed", True),
            ("transport", "Transport home arranged", False),
        ),
    ),
)

SHIPPED: dict[str, ChecklistTemplate] = {t.id: t for t in (SURGICAL_SAFETY, DISCHARGE)}
