"""Practitioner, PractitionerRole (carehub's doctors), Organization and Location (its
countries): read, and the countries listed. Every signed-in user may look these up, as in
the native API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.responses import Response

from carehub.countries.service import CountryService
from carehub.fhir.api.dependencies import FhirBase, fhir_router
from carehub.fhir.api.paging import search_response
from carehub.fhir.api.responses import (
    fhir_errors,
    fhir_ok,
    versioned_response,
)
from carehub.fhir.resources.organization import location_resource, organization_resource
from carehub.fhir.resources.practitioner import practitioner_resource, practitioner_role_resource
from carehub.practitioners.service import DoctorService
from carehub.web.dependencies import AppClock, use_case

router = fhir_router()
Doctors = Annotated[DoctorService, Depends(use_case(DoctorService))]
Countries = Annotated[CountryService, Depends(use_case(CountryService))]
ONE = {**fhir_ok("The resource"), **fhir_errors(404, 422)}
ALL = {**fhir_ok("A searchset Bundle"), **fhir_errors(422)}


@router.get("/Practitioner/{doctor_id}", responses=ONE)
async def read_practitioner(doctors: Doctors, doctor_id: str) -> Response:
    """A doctor as a Practitioner."""
    doctor = await doctors.get(doctor_id=doctor_id)
    return versioned_response(practitioner_resource(doctor), doctor.version)


@router.get("/PractitionerRole/{doctor_id}", responses=ONE)
async def read_practitioner_role(doctors: Doctors, doctor_id: str) -> Response:
    """What a doctor does where: their specialty, their country, their weekly hours."""
    doctor = await doctors.get(doctor_id=doctor_id)
    return versioned_response(practitioner_role_resource(doctor), doctor.version)


@router.get("/Organization/{country_id}", responses=ONE)
async def read_organization(countries: Countries, country_id: str) -> Response:
    """A country (carehub's unit of organisation) as an Organization."""
    country = await countries.get(country_id=country_id)
    return versioned_response(organization_resource(country), country.version)


@router.get("/Location/{country_id}", responses=ONE)
async def read_location(countries: Countries, country_id: str) -> Response:
    """A country's clinics, as one Location."""
    country = await countries.get(country_id=country_id)
    return versioned_response(location_resource(country), country.version)


@router.get("/Organization", responses=ALL)
async def search_organizations(
    countries: Countries,
    clock: AppClock,
    base: FhirBase,
) -> Response:
    """Every country, as Organizations (on one page: there are few)."""
    found = await countries.list_all()
    return search_response(
        base=base,
        path="Organization",
        parameters=[],
        count=len(found) or 1,
        cursor=None,
        next_cursor=None,
        matches=[organization_resource(c) for c in found],
        clock=clock,
    )
