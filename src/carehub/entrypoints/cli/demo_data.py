"""Synthetic, clearly fake patients across several countries, for demos and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from carehub.kernel.ids import new_id
from carehub.patients.model import Address, CodedEntry, HumanName, Identifier, PatientDetails, Sex
from carehub.patients.service import PatientDraft

SNOMED = "http://snomed.info/sct"
DEMO_ID_SYSTEM = "urn:carehub:demo:national-id"


@dataclass(frozen=True)
class CountryStyle:
    code: str
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    given_female: tuple[str, ...]
    given_male: tuple[str, ...]
    family: tuple[str, ...]
    two_family_names: bool
    phone_prefix: str


_HISPANIC_F = (
    "María",
    "Lucía",
    "Sofía",
    "Valentina",
    "Camila",
    "Isabel",
    "Ana",
    "Inés",
    "Florencia",
    "Ximena",
    "Renata",
    "Paula",
    "Elena",
    "Rocío",
    "Daniela",
    "Josefina",
)
_HISPANIC_M = (
    "José",
    "Juan",
    "Luis",
    "Carlos",
    "Jorge",
    "Andrés",
    "Mateo",
    "Sebastián",
    "Martín",
    "Tomás",
    "Joaquín",
    "Diego",
    "Álvaro",
    "Ramón",
    "Iñaki",
    "Héctor",
)
_HISPANIC_FAMILY = (
    "García",
    "Rodríguez",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Muñoz",
    "Rojas",
    "Quispe",
    "Mamani",
    "Huamán",
    "Castillo",
    "Vargas",
    "Núñez",
    "Peña",
    "Ibáñez",
    "Fernández",
    "Morales",
    "Ortiz",
    "Gutiérrez",
    "Chávez",
    "Ríos",
    "Cáceres",
)
COUNTRIES = (
    CountryStyle(
        "PE",
        ("Lima", "Arequipa", "Cusco", "Trujillo", "Piura", "Iquitos"),
        ("Av. Arequipa", "Jr. de la Unión", "Av. Brasil", "Calle Los Olivos"),
        _HISPANIC_F,
        _HISPANIC_M,
        _HISPANIC_FAMILY,
        True,
        "+51 9",
    ),
    CountryStyle(
        "CL",
        ("Santiago", "Valparaíso", "Concepción", "Temuco", "Antofagasta"),
        ("Av. Providencia", "Calle Merced", "Av. Libertador", "Pasaje Los Aromos"),
        _HISPANIC_F,
        _HISPANIC_M,
        _HISPANIC_FAMILY,
        True,
        "+56 9",
    ),
    CountryStyle(
        "CO",
        ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena"),
        ("Carrera 7", "Calle 26", "Avenida Boyacá", "Calle 80"),
        _HISPANIC_F,
        _HISPANIC_M,
        _HISPANIC_FAMILY,
        True,
        "+57 3",
    ),
    CountryStyle(
        "MX",
        ("Ciudad de México", "Guadalajara", "Monterrey", "Puebla", "Mérida"),
        ("Av. Insurgentes", "Calle Madero", "Paseo de la Reforma", "Av. Juárez"),
        _HISPANIC_F,
        _HISPANIC_M,
        _HISPANIC_FAMILY,
        True,
        "+52 55",
    ),
    CountryStyle(
        "US",
        ("Boston", "Springfield", "Austin", "Denver", "Portland", "Madison"),
        ("Main St", "Oak Ave", "Maple Dr", "Elm St", "Pine Rd"),
        ("Emily", "Olivia", "Ava", "Mia", "Harper", "Abigail", "Zoë", "Chloé"),
        ("James", "Liam", "Noah", "Ethan", "Lucas", "Henry", "Owen", "Renée"),
        (
            "Smith",
            "Johnson",
            "Williams",
            "Brown",
            "Jones",
            "Miller",
            "Davis",
            "Wilson",
            "Anderson",
            "Taylor",
            "Thomas",
            "Moore",
            "Jackson",
            "White",
            "Harris",
            "O'Brien",
        ),
        False,
        "+1 555",
    ),
)
CONDITIONS = (
    ("44054006", "Diabetes mellitus type 2"),
    ("38341003", "Hypertensive disorder"),
    ("195967001", "Asthma"),
    ("13645005", "Chronic obstructive lung disease"),
    ("40055000", "Chronic sinusitis"),
    ("55822004", "Hyperlipidemia"),
    ("162864005", "Body mass index 30+ - obesity"),
    ("35489007", "Depressive disorder"),
    ("197480006", "Anxiety disorder"),
    ("49436004", "Atrial fibrillation"),
    ("709044004", "Chronic kidney disease"),
    ("396275006", "Osteoarthritis"),
)
ALLERGIES = (
    ("91936005", "Allergy to penicillin"),
    ("300913006", "Shellfish allergy"),
    ("418689008", "Allergy to grass pollen"),
    ("232347008", "Dander allergy"),
)


def demo_drafts(count: int, *, seed: int, today: date) -> Iterator[PatientDraft]:
    """`count` synthetic patients, the same ones for the same seed (identifiers aside)."""
    rng = random.Random(seed)
    for _ in range(count):
        style = rng.choice(COUNTRIES)
        sex = rng.choice((Sex.FEMALE, Sex.MALE))
        pool = style.given_female if sex is Sex.FEMALE else style.given_male
        given = tuple(rng.sample(pool, rng.choice((1, 1, 2))))
        family = rng.choice(style.family)
        if style.two_family_names:
            family = f"{family} {rng.choice(style.family)}"
        name = HumanName.from_parts(given, family)
        born = today - timedelta(days=rng.randint(0, 95 * 365))
        city = rng.choice(style.cities)
        conditions = tuple(
            CodedEntry(code, SNOMED, display)
            for code, display in rng.sample(CONDITIONS, rng.choice((0, 0, 1, 1, 2, 3)))
        )
        allergies = tuple(
            CodedEntry(code, SNOMED, display)
            for code, display in rng.sample(ALLERGIES, rng.choice((0, 0, 0, 1)))
        )
        yield PatientDraft(
            country_id=style.code,
            details=PatientDetails(
                name=name,
                birth_date=born,
                sex=sex,
                email=f"patient.{rng.randrange(10**9):09d}@example.org",
                phone=f"{style.phone_prefix} {rng.randrange(10**7):07d}",
                address=Address(
                    lines=(f"{rng.choice(style.streets)} {rng.randint(1, 2999)}",),
                    city=city,
                    postal_code=f"{rng.randrange(10**5):05d}",
                    country=style.code,
                ),
                identifiers=(Identifier(f"{DEMO_ID_SYSTEM}:{style.code.lower()}", new_id()),),
                conditions=conditions,
                allergies=allergies,
            ),
        )
