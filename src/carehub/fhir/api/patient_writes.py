"""`POST /fhir/R4/Patient` (create, and conditional create with `If-None-Exist`) and
`PUT /fhir/R4/Patient/{id}` (update with `If-Match`), through the patient use cases.

A Patient holds demographics only: conditions and allergies are resources of their own,
so an update leaves them as they are. The elements carehub does not keep are named in an
OperationOutcome of severity information, returned when the client asks for it
(`Prefer: return=OperationOutcome`); by default the answer is the stored resource.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Header
from starlette.responses import Response

from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.parameters import IfNoneExist
from carehub.fhir.api.responses import fhir_errors, fhir_ok, fhir_response, version_tag
from carehub.fhir.outcome import information
from carehub.fhir.resources.patient import patient_resource
from carehub.fhir.schemas.patient import patient_details_of
from carehub.fhir.wire import FHIR_JSON
from carehub.fhir.writes import country_of, identifier_of_if_none_exist, version_to_update
from carehub.kernel.actor import Actor
from carehub.kernel.errors import FieldError, Invalid, PreconditionFailed
from carehub.patients.model import Patient, PatientChanges, PatientDetails
from carehub.patients.ports import PatientFilter
from carehub.patients.service import PatientDraft, PatientService
from carehub.web.actor import CurrentActor
from carehub.web.dependencies import use_case

router = fhir_router("/Patient")
Patients = Annotated[PatientService, Depends(use_case(PatientService))]
PatientBody = Annotated[dict[str, Any], Body(media_type=FHIR_JSON)]
Prefer = Annotated[str | None, Header(max_length=100)]
_PATIENT = {"type": "object", "description": "A FHIR R4 Patient"}
_BODY = {"requestBody": {"required": True, "content": {FHIR_JSON: {"schema": _PATIENT}}}}


@router.post(
    "",
    status_code=201,
    responses={
        **fhir_ok("The Patient created", 201),
        **fhir_ok("The Patient that already matched If-None-Exist"),
        **fhir_errors(400, 403, 409, 412, 422),
    },
    openapi_extra=_BODY,
)
async def create_patient(
    actor: CurrentActor,
    patients: Patients,
    base: FhirBase,
    body: PatientBody,
    if_none_exist: IfNoneExist = None,
    prefer: Prefer = None,
) -> Response:
    """Register a patient in the country its `managingOrganization` names (staff: their
    own by default). With `If-None-Exist: identifier=system|value`, the patient holding
    that identifier is answered (200) instead of a second one created."""
    _check_type(body)
    details, not_kept = patient_details_of(body)
    if if_none_exist is not None:
        found = await _holding(patients, actor, identifier_of_if_none_exist(if_none_exist))
        if found is not None:
            return _answer(found, base, 200, [], prefer)
    country_id = country_of(body) or actor.country_id
    if country_id is None:
        raise Invalid(
            "Name the patient's country as managingOrganization (Organization/<country id>)",
            errors=[FieldError("managingOrganization", "is required")],
        )
    patient = await patients.register(
        actor=actor, draft=PatientDraft(country_id=country_id, details=details)
    )
    return _answer(patient, base, 201, not_kept, prefer)


@router.put(
    "/{patient_id}",
    responses={**fhir_ok("The Patient updated"), **fhir_errors(400, 403, 404, 412, 422, 428)},
    openapi_extra=_BODY,
)
async def update_patient(
    actor: CurrentActor,
    patients: Patients,
    base: FhirBase,
    patient_id: str,
    body: PatientBody,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
    prefer: Prefer = None,
) -> Response:
    """Replace the patient's demographics (name, birth date, gender, telecom, address,
    identifiers) if `If-Match` (or, without it, the body's `meta.versionId`) names the
    current version; its country stays."""
    _check_type(body)
    if body.get("id") != patient_id:
        raise Invalid("id must be the id in the URL", errors=[FieldError("id", "must match")])
    version = version_to_update(if_match, body)
    details, not_kept = patient_details_of(body)
    patient = await patients.revise(
        actor=actor, patient_id=patient_id, changes=_replacing(details), if_version=version
    )
    return _answer(patient, base, 200, not_kept, prefer)


def _check_type(body: dict[str, Any]) -> None:
    if body.get("resourceType") != "Patient":
        raise Invalid(
            "The body must be a Patient", errors=[FieldError("resourceType", "must be Patient")]
        )


async def _holding(
    patients: PatientService, actor: Actor, identifier: tuple[str, str]
) -> Patient | None:
    page = await patients.search(
        actor=actor, criteria=PatientFilter(identifier=identifier), cursor=None, limit=2
    )
    if len(page.items) > 1:
        raise PreconditionFailed("If-None-Exist matches more than one patient")
    return page.items[0] if page.items else None


def _replacing(details: PatientDetails) -> PatientChanges:
    """Every demographic field as the resource gives it (absent ones cleared)."""
    return PatientChanges(
        name=details.name,
        birth_date=details.birth_date,
        sex=details.sex,
        email=details.email,
        phone=details.phone,
        address=details.address,
        identifiers=details.identifiers,
    )


def _answer(
    patient: Patient, base: str, status: int, not_kept: list[str], prefer: str | None
) -> Response:
    headers = {
        "ETag": version_tag(patient.version),
        "Location": f"{base}/Patient/{patient.id}/_history/{patient.version}",
    }
    if prefer is not None and "return=OperationOutcome" in prefer:
        notes = [f"{name} is not kept by carehub" for name in not_kept] or ["stored"]
        body = {"resourceType": "OperationOutcome", "issue": information(notes)}
        return fhir_response(body, status=status, headers=headers)
    return fhir_response(patient_resource(patient), status=status, headers=headers)
