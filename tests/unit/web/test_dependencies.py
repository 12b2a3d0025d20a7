"""Routes get their use cases from the app's registry, and a test can replace one of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.kernel.actor import Actor, Authenticator, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Unauthenticated
from carehub.kernel.request_rate import RequestRate
from carehub.patients import api as patients_api
from carehub.patients.model import HumanName, Patient, PatientDetails
from carehub.patients.service import PatientDraft, PatientService
from carehub.practitioners.service import DoctorService
from carehub.web.dependencies import UseCases, install_use_cases, use_case
from carehub.web.problems import install_problem_handlers
from tests.support.clock import AdjustableClock
from tests.support.memory_world import add_country

ADMIN = Actor(id="user-1", role=Role.ADMIN, country_id="PE")
TOKEN = "a-valid-token"


class OneTokenAuthenticator:
    """Accepts `TOKEN` as the admin, refuses anything else."""

    async def authenticate(
        self, token: str, *, request_id: str | None, client: str | None
    ) -> Actor:
        if token != TOKEN:
            raise Unauthenticated("unknown token")
        return ADMIN


class StandInPatients:
    """Answers every read with one fixed patient, whatever is stored."""

    def __init__(self, patient: Patient) -> None:
        self.patient = patient
        self.asked: list[tuple[Actor, str]] = []

    async def get(self, *, actor: Actor, patient_id: str) -> Patient:
        self.asked.append((actor, patient_id))
        return self.patient


@pytest.fixture
def clock() -> AdjustableClock:
    return AdjustableClock()


@pytest.fixture
def patients(clock: AdjustableClock) -> PatientService:
    store = MemoryStore()
    add_country(store, "PE", clock.now())
    return PatientService(lambda: MemoryUnitOfWork(store, clock), clock)


@pytest.fixture
def app(patients: PatientService, clock: AdjustableClock) -> FastAPI:
    """The real patient routes over a registry filled as the HTTP app fills it at start-up."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(patients_api.router)
    use_cases = install_use_cases(app)
    authenticator: Authenticator = OneTokenAuthenticator()
    use_cases.provide(Authenticator, authenticator)
    use_cases.provide(PatientService, patients)
    app_clock: Clock = clock
    use_cases.provide(Clock, app_clock)
    use_cases.provide(RequestRate, RequestRate(MemoryRateLimiter(clock), per_minute=600))
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


def test_one_dependency_per_kind() -> None:
    assert use_case(PatientService) is use_case(PatientService)
    assert use_case(PatientService) is not use_case(DoctorService)


def test_a_kind_nothing_provides_is_named() -> None:
    with pytest.raises(LookupError, match="PatientService"):
        UseCases().get(PatientService)


async def test_routes_use_what_the_registry_provides(
    client: httpx.AsyncClient, patients: PatientService
) -> None:
    draft = PatientDraft(country_id="PE", details=PatientDetails(name=HumanName.from_text("Ana")))
    stored = await patients.register(actor=ADMIN, draft=draft)

    response = await client.get(f"/patients/{stored.id}")

    assert response.status_code == 200
    assert response.json()["id"] == stored.id


async def test_a_test_can_replace_one_use_case(app: FastAPI, client: httpx.AsyncClient) -> None:
    at = datetime(2024, 6, 1, tzinfo=UTC)
    stand_in = StandInPatients(
        Patient(
            id="p-standin",
            mrn="00000017",
            country_id="PE",
            details=PatientDetails(name=HumanName.from_text("Rosa")),
            created_at=at,
            updated_at=at,
        )
    )

    async def provide_stand_in() -> StandInPatients:
        return stand_in

    app.dependency_overrides[use_case(PatientService)] = provide_stand_in
    response = await client.get("/patients/anything")

    assert response.status_code == 200
    assert response.json()["id"] == "p-standin"
    assert stand_in.asked == [(ADMIN, "anything")]


async def test_the_actor_comes_from_the_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/patients/x", headers={"Authorization": "Bearer wrong"})

    assert response.status_code == 401
