"""The PatientRepository contract: every adapter (memory, SQLite, PostgreSQL, DynamoDB)
passes it."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date, timedelta

import pytest

from carehub.kernel.errors import Invalid
from carehub.kernel.pagination import encode_cursor
from carehub.patients.errors import IdentifierTaken, MrnTaken, PatientIdTaken
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
)
from carehub.patients.ports import PatientFilter
from tests.contract.conftest import UnitOfWorkFactory
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.patient_records import (
    CREATED,
    DNI,
    SNOMED,
    add,
    complete_patient,
    everything,
    get,
    person,
    search,
)

# --- add and get ---------------------------------------------------------------------------


async def test_a_patient_reads_back_with_every_field(new_uow: UnitOfWorkFactory) -> None:
    patient = complete_patient()
    await add(new_uow, patient)
    assert await get(new_uow, patient.id) == patient


async def test_a_patient_with_only_a_name_reads_back(new_uow: UnitOfWorkFactory) -> None:
    patient = person("Cher", patient_id="0315")
    await add(new_uow, patient)
    assert await get(new_uow, "0315") == patient


async def test_an_unknown_id_reads_as_none(new_uow: UnitOfWorkFactory) -> None:
    assert await get(new_uow, "nobody") is None


async def test_add_many_stores_every_patient(new_uow: UnitOfWorkFactory) -> None:
    patients = [person(f"Person {i}") for i in range(3)]
    async with new_uow() as uow:
        await uow.patients.add_many(patients)
        await uow.commit()
    assert [await get(new_uow, p.id) for p in patients] == patients


async def test_a_unit_of_work_reads_its_own_writes(new_uow: UnitOfWorkFactory) -> None:
    patient = person("Ana Torres")
    async with new_uow() as uow:
        await uow.patients.add(patient)
        assert await uow.patients.get(patient.id) == patient
        page = await uow.patients.search(PatientFilter(), cursor=None, limit=10)
        assert page.items == [patient]
        await uow.commit()


async def test_a_taken_id_raises_patient_id_taken(new_uow: UnitOfWorkFactory) -> None:
    first = person("Ana Torres", patient_id="0315")
    await add(new_uow, first)
    with pytest.raises(PatientIdTaken):
        await add(new_uow, person("Luis Vega", patient_id="0315"))
    assert await get(new_uow, "0315") == first


async def test_add_many_with_a_taken_id_raises_patient_id_taken(
    new_uow: UnitOfWorkFactory,
) -> None:
    await add(new_uow, person("Ana Torres", patient_id="0315"))
    batch = [person("Eva Ruiz"), person("Luis Vega", patient_id="0315")]
    async with new_uow() as uow:
        with pytest.raises(PatientIdTaken):
            await uow.patients.add_many(batch)


async def test_a_taken_identifier_raises_identifier_taken(new_uow: UnitOfWorkFactory) -> None:
    await add(new_uow, person("Ana Torres", identifiers=(Identifier(DNI, "1"),)))
    late = person("Luis Vega", identifiers=(Identifier(DNI, "1"),))
    with pytest.raises(IdentifierTaken):
        await add(new_uow, late)
    assert await get(new_uow, late.id) is None


async def test_an_identifier_value_is_unique_within_its_system_only(
    new_uow: UnitOfWorkFactory,
) -> None:
    ana = person("Ana Torres", identifiers=(Identifier(DNI, "1"),))
    luis = person("Luis Vega", identifiers=(Identifier("urn:cl:run", "1"),))
    await add(new_uow, ana, luis)
    assert await get(new_uow, luis.id) == luis


async def test_a_taken_mrn_in_the_same_country_raises_mrn_taken(
    new_uow: UnitOfWorkFactory,
) -> None:
    ana = person("Ana Torres")
    await add(new_uow, ana)
    late = replace(person("Luis Vega"), mrn=ana.mrn)
    with pytest.raises(MrnTaken):
        await add(new_uow, late)
    assert await get(new_uow, late.id) is None
    assert await get(new_uow, ana.id) == ana


async def test_an_mrn_is_unique_within_its_country_only(new_uow: UnitOfWorkFactory) -> None:
    ana = person("Ana Torres", country="PE")
    luis = replace(person("Luis Vega", country="CL"), mrn=ana.mrn)
    await add(new_uow, ana, luis)
    assert await get(new_uow, luis.id) == luis


# --- replace -------------------------------------------------------------------------------


async def test_replace_with_the_expected_version_stores_it_and_its_search_keys(
    new_uow: UnitOfWorkFactory,
) -> None:
    old = person("Ana Torres", identifiers=(Identifier(DNI, "1"),), address=Address(city="Lima"))
    await add(new_uow, old)
    details = replace(
        old.details,
        name=HumanName.from_text("Ana Vega"),
        identifiers=(Identifier(DNI, "2"),),
        address=Address(city="Cusco"),
    )
    new = old.revised(details, CREATED + timedelta(hours=1))
    async with new_uow() as uow:
        assert await uow.patients.replace(new, expected_version=1)
        await uow.commit()
    assert await get(new_uow, old.id) == new
    assert [p.id for p in (await search(new_uow, PatientFilter(name_prefixes=("vega",)))).items]
    assert not (await search(new_uow, PatientFilter(name_prefixes=("torres",)))).items
    assert not (await search(new_uow, PatientFilter(city="lima"))).items
    assert (await search(new_uow, PatientFilter(identifier=(DNI, "2")))).items == [new]
    # The identifier it gave up is free for someone else.
    await add(new_uow, person("Luis Vega", identifiers=(Identifier(DNI, "1"),)))


async def test_replace_with_a_stale_version_returns_false_and_writes_nothing(
    new_uow: UnitOfWorkFactory,
) -> None:
    current = person("Ana Torres")
    await add(new_uow, current)
    stale = current.revised(replace(current.details, email="late@example.org"), CREATED)
    async with new_uow() as uow:
        assert not await uow.patients.replace(stale, expected_version=2)
        await uow.commit()
    assert await get(new_uow, current.id) == current


async def test_replace_of_an_unknown_patient_returns_false(new_uow: UnitOfWorkFactory) -> None:
    ghost = person("Nobody")
    async with new_uow() as uow:
        assert not await uow.patients.replace(ghost, expected_version=1)
        await uow.commit()
    assert await get(new_uow, ghost.id) is None


async def test_replace_onto_another_patients_identifier_raises_identifier_taken(
    new_uow: UnitOfWorkFactory,
) -> None:
    ana = person("Ana Torres", identifiers=(Identifier(DNI, "1"),))
    luis = person("Luis Vega")
    await add(new_uow, ana, luis)
    grabbing = luis.revised(replace(luis.details, identifiers=ana.details.identifiers), CREATED)
    async with new_uow() as uow:
        with pytest.raises(IdentifierTaken):
            await uow.patients.replace(grabbing, expected_version=1)
    assert await get(new_uow, luis.id) == luis
    assert (await search(new_uow, PatientFilter(identifier=(DNI, "1")))).items == [ana]


# --- MRN numbers ---------------------------------------------------------------------------


async def test_reserved_mrn_numbers_are_consecutive_per_country(
    new_uow: UnitOfWorkFactory,
) -> None:
    async with new_uow() as uow:
        assert await uow.patients.reserve_mrn_numbers("PE", 3) == 1
        assert await uow.patients.reserve_mrn_numbers("CL", 1) == 1
        await uow.commit()
    async with new_uow() as uow:
        assert await uow.patients.reserve_mrn_numbers("PE", 2) == 4
        assert await uow.patients.reserve_mrn_numbers("PE", 1) == 6
        assert await uow.patients.reserve_mrn_numbers("CL", 5) == 2
        await uow.commit()


# --- transactions --------------------------------------------------------------------------


async def test_leaving_without_commit_writes_nothing(new_uow: UnitOfWorkFactory) -> None:
    kept = person("Ana Torres")
    await add(new_uow, kept)
    dropped = person("Luis Vega", identifiers=(Identifier(DNI, "1"),))
    async with new_uow() as uow:
        await uow.patients.reserve_mrn_numbers("PE", 10)
        await uow.patients.add(dropped)
        await uow.patients.replace(kept.deactivated(CREATED), expected_version=1)
    assert await get(new_uow, dropped.id) is None
    assert await get(new_uow, kept.id) == kept
    assert not (await search(new_uow, PatientFilter(identifier=(DNI, "1")))).items
    async with new_uow() as uow:
        assert await uow.patients.reserve_mrn_numbers("PE", 1) == 1


async def test_an_error_inside_a_unit_of_work_rolls_it_back(new_uow: UnitOfWorkFactory) -> None:
    patient = person("Ana Torres")

    async def fail_after_writing() -> None:
        async with new_uow() as uow:
            await uow.patients.add(patient)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_after_writing()
    assert await get(new_uow, patient.id) is None


# --- search filters ------------------------------------------------------------------------


def diabetes() -> CodedEntry:
    return CodedEntry("44054006", SNOMED, "Diabetes mellitus type 2")


def population() -> list[Patient]:
    """Patients whose names say which filters should find them."""
    people = [
        person(
            "José Álvarez",
            birth_date=date(1980, 3, 14),
            address=Address(lines=("Av. Arequipa 1234",), city="Lima", postal_code="15046"),
            identifiers=(Identifier(DNI, "40123456"),),
            conditions=(diabetes(),),
        ),
        person(
            "Josefina Núñez Peña",
            country="CL",
            birth_date=date(1990, 1, 2),
            address=Address(lines=("Calle Merced 10",), city="Santiago"),
            identifiers=(Identifier("urn:cl:run", "40123456"),),
            conditions=(CodedEntry("195967001", SNOMED, "Asthma"),),
        ),
        person(
            "Emily Johnson",
            country="US",
            birth_date=date(1980, 3, 14),
            address=Address(text="77 Main St, Springfield"),
            conditions=(CodedEntry(display="Hypertensive disorder"),),
        ),
        person("Juan Jose-Maria", address=Address(city="Cusco")),
        person("María Lópes", country="BR", address=Address(text="Rua do 100% Real_1")),
        person("Pedro Souza", country="BR", address=Address(text="Rua do 1000 Realx1")),
        person("Marta Santos", country="BR", address=Address(city="São Paulo")),
        replace(person("Joseline Inactiva", conditions=(diabetes(),)), active=False),
    ]
    return people


@pytest.fixture
async def people(new_uow: UnitOfWorkFactory) -> None:
    await add(new_uow, *population())


FILTERS = {
    "countryId": (PatientFilter(country_id="PE"), {"José Álvarez", "Juan Jose-Maria"}),
    "city": (PatientFilter(city="lima"), {"José Álvarez"}),
    "city with accents": (PatientFilter(city="sao paulo"), {"Marta Santos"}),
    "city is whole": (PatientFilter(city="li"), set()),
    "address word": (PatientFilter(address_contains="arequipa"), {"José Álvarez"}),
    "address inside a word": (PatientFilter(address_contains="requip"), {"José Álvarez"}),
    "address across parts": (PatientFilter(address_contains="1234, lima"), {"José Álvarez"}),
    "address one line": (PatientFilter(address_contains="main st, spr"), {"Emily Johnson"}),
    "address % is literal": (PatientFilter(address_contains="100%"), {"María Lópes"}),
    "address _ is literal": (PatientFilter(address_contains="l_1"), {"María Lópes"}),
    "condition display prefix": (PatientFilter(condition_prefix="diab"), {"José Álvarez"}),
    "condition code prefix": (PatientFilter(condition_prefix="1959"), {"Josefina Núñez Peña"}),
    "condition needs a prefix": (PatientFilter(condition_prefix="mellitus"), set()),
    "condition without code": (PatientFilter(condition_prefix="hyper"), {"Emily Johnson"}),
    "name prefix": (
        PatientFilter(name_prefixes=("jose",)),
        {"José Álvarez", "Josefina Núñez Peña", "Juan Jose-Maria"},
    ),
    "name without accents": (PatientFilter(name_prefixes=("nun",)), {"Josefina Núñez Peña"}),
    "name after a hyphen": (
        PatientFilter(name_prefixes=("maria",)),
        {"Juan Jose-Maria", "María Lópes"},
    ),
    "name words all match": (
        PatientFilter(name_prefixes=("jose", "pe")),
        {"Josefina Núñez Peña"},
    ),
    "name no match": (PatientFilter(name_prefixes=("jose", "santos")), set()),
    "birthDate": (PatientFilter(birth_date=date(1980, 3, 14)), {"José Álvarez", "Emily Johnson"}),
    "identifier": (PatientFilter(identifier=(DNI, "40123456")), {"José Álvarez"}),
    "identifier other system": (
        PatientFilter(identifier=("urn:cl:run", "40123456")),
        {"Josefina Núñez Peña"},
    ),
    "identifier is exact": (PatientFilter(identifier=(DNI, "4012345")), set()),
    "includeInactive": (
        PatientFilter(country_id="PE", include_inactive=True),
        {"José Álvarez", "Juan Jose-Maria", "Joseline Inactiva"},
    ),
    "inactive excluded": (PatientFilter(condition_prefix="diab"), {"José Álvarez"}),
    "criteria combine with AND": (
        PatientFilter(country_id="PE", condition_prefix="diab", include_inactive=True),
        {"José Álvarez", "Joseline Inactiva"},
    ),
    "every criterion at once": (
        PatientFilter(
            country_id="PE",
            city="lima",
            address_contains="arequipa",
            condition_prefix="44",
            name_prefixes=("alv", "jo"),
            birth_date=date(1980, 3, 14),
            identifier=(DNI, "40123456"),
        ),
        {"José Álvarez"},
    ),
}


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(("criteria", "expected"), list(FILTERS.values()), ids=list(FILTERS))
async def test_search_finds_exactly_the_matching_patients(
    new_uow: UnitOfWorkFactory, criteria: PatientFilter, expected: set[str]
) -> None:
    page = await search(new_uow, criteria)
    assert {p.details.name.text for p in page.items} == expected
    assert [p.id for p in page.items] == sorted(p.id for p in page.items)
    assert page.next_cursor is None


@pytest.mark.usefixtures("people")
async def test_search_returns_whole_patients(new_uow: UnitOfWorkFactory) -> None:
    [found] = (await search(new_uow, PatientFilter(identifier=(DNI, "40123456")))).items
    assert found == await get(new_uow, found.id)


# --- pagination ----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 24, 25])
async def test_pages_list_everyone_once_in_id_order(new_uow: UnitOfWorkFactory, limit: int) -> None:
    patients = [person(f"Person {i}") for i in range(25)]
    await add(new_uow, *patients)
    assert await everything(new_uow, PatientFilter(), limit) == sorted(p.id for p in patients)


async def test_pages_of_a_filtered_list_hold_only_matches(new_uow: UnitOfWorkFactory) -> None:
    patients = [person(f"Person {i}", country="PE" if i % 3 else "CL") for i in range(20)]
    await add(new_uow, *patients)
    expected = sorted(p.id for p in patients if p.country_id == "CL")
    assert await everything(new_uow, PatientFilter(country_id="CL"), 2) == expected


async def test_a_cursor_is_a_position_not_an_offset(new_uow: UnitOfWorkFactory) -> None:
    ids = [f"p{i:02d}" for i in range(0, 20, 2)]
    await add(new_uow, *(person(i, patient_id=i) for i in ids))
    first = await search(new_uow, PatientFilter(), limit=4)
    assert [p.id for p in first.items] == ["p00", "p02", "p04", "p06"]
    # One patient lands before the cursor, one after: only the later one is still ahead.
    await add(new_uow, *(person(i, patient_id=i) for i in ("p01", "p07")))
    rest = await everything_after(new_uow, first.next_cursor)
    assert rest == ["p07", "p08", "p10", "p12", "p14", "p16", "p18"]


async def everything_after(new_uow: UnitOfWorkFactory, cursor: str | None) -> list[str]:
    page = await search(new_uow, PatientFilter(), cursor, limit=50)
    return [p.id for p in page.items]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"[1]").decode(),
        encode_cursor({"position": "p01"}),
        encode_cursor({"after": 5}),
    ],
)
async def test_a_cursor_we_did_not_issue_is_invalid(
    new_uow: UnitOfWorkFactory, cursor: str
) -> None:
    with pytest.raises(Invalid):
        await search(new_uow, PatientFilter(), cursor)
