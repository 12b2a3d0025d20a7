"""A fixed, generated set of patients and queries with known answers, for patient search.

Spanish, Portuguese, English and Quechua names, compound (`de la Cruz`) and hyphenated
(`Pérez-Quispe`) surnames, accents; queries as people type them: folded or shouted, the
last word cut short, one wrong, missing, extra or swapped letter in a long word, MRNs,
identifiers, emails and phone numbers in other formats. `patients()` and `queries()` are
what the recall test and the benchmark both use: the same seed gives the same corpus.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from carehub.kernel.text import fold
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientDetails,
)

CREATED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
COUNT = 400
SEED = 21

GIVEN = {
    "es": ["José", "María", "Lucía", "Andrés", "Martín", "Sofía", "Camila", "Joaquín", "Inés"],
    "pt": ["João", "Conceição", "Gonçalo", "Luíza", "Thiago", "Beatriz", "Sebastião"],
    "en": ["Elizabeth", "William", "Margaret", "Christopher", "Olivia", "Jonathan"],
    "qu": ["Inti", "Killa", "Sisa", "Yupanqui", "Wayta", "Amaru", "Kusi", "Nayra"],
}
FAMILY = {
    "es": [
        "Fernández",
        "Rodríguez",
        "Hernández",
        "Sánchez",
        "Jiménez",
        "Ramírez",
        "Álvarez",
        "Castañeda",
        "Muñoz",
        "Ibáñez",
        "Domínguez",
        "Benítez",
        "Villanueva",
    ],
    "pt": [
        "Gonçalves",
        "Magalhães",
        "Conceição",
        "Assunção",
        "Brandão",
        "Falcão",
        "Guimarães",
        "Araújo",
        "Loureiro",
    ],
    "en": [
        "Thompson",
        "Whitaker",
        "Fitzgerald",
        "Harrington",
        "Blackwood",
        "Pemberton",
        "Sutherland",
    ],
    "qu": [
        "Quispe",
        "Mamani",
        "Huamán",
        "Condori",
        "Choquehuanca",
        "Ccori",
        "Yupanqui",
        "Quisbert",
        "Huallpa",
        "Apaza",
        "Ticona",
    ],
}
COMPOUND = ["de la Cruz", "del Río", "de los Santos", "da Silva", "dos Anjos"]
CITIES = {"es": "Cusco", "pt": "São Paulo", "en": "Boston", "qu": "Puno"}
COUNTRIES = {"es": "PE", "pt": "BR", "en": "US", "qu": "PE"}
CONDITIONS = [
    ("44054006", "Diabetes mellitus type 2"),
    ("38341003", "Hypertensive disorder"),
    ("195967001", "Asthma"),
    ("35489007", "Depressive disorder"),
]
# The issue's own examples, with names the generated ones never take.
NAMED = [
    ("rel-garcia", "José", "García Torres", "es"),
    ("rel-gutierrez", "Lucía", "Gutiérrez Salas", "es"),
    ("rel-gonzalez", "Pedro", "González Vera", "es"),
    ("rel-moros", "Jorge", "Moros Huamán", "es"),
]


@dataclass(frozen=True)
class Case:
    """A query and the patient it must find in its first ten results."""

    q: str
    expected: str
    kind: str


def patients(count: int = COUNT, seed: int = SEED) -> list[Patient]:
    """The corpus: the issue's named patients, then `count` generated ones."""
    rng = random.Random(seed)
    made = [
        _patient(pid, given, family, lang, 9000 + i, rng)
        for i, (pid, given, family, lang) in enumerate(NAMED)
    ]
    for n in range(1, count + 1):
        lang = rng.choice(list(GIVEN))
        given = " ".join(rng.sample(GIVEN[lang], rng.choice((1, 1, 2))))
        first, second = rng.sample(FAMILY[lang], 2)
        shape = rng.random()
        if shape < 0.15:
            family = f"{first}-{second}"
        elif shape < 0.25:
            family = f"{rng.choice(COMPOUND)} {first}"
        else:
            family = f"{first} {second}"
        made.append(_patient(f"rel-{n:04d}", given, family, lang, n, rng))
    return made


def queries(corpus: list[Patient], seed: int = SEED) -> list[Case]:
    """Queries with known answers over `corpus` (the issue's examples first)."""
    rng = random.Random(seed + 1)
    cases = [
        Case("jose garcia", "rel-garcia", "accents"),
        Case("JOSÉ GARCÍA", "rel-garcia", "accents"),
        Case("gutierez", "rel-gutierrez", "missing letter"),
        Case("gonzales", "rel-gonzalez", "wrong letter"),
        Case("jorge mros", "rel-moros", "missing letter"),
        Case("jorge mor", "rel-moros", "prefix"),
    ]
    by_id = {p.id: p for p in corpus}
    for patient in rng.sample(corpus[len(NAMED) :], 120):
        cases += _cases_of(patient, rng)
    assert all(c.expected in by_id for c in cases)
    return cases


def _cases_of(patient: Patient, rng: random.Random) -> Iterator[Case]:
    d = patient.details
    given = d.name.given[0]
    family = [w for w in fold(d.name.family or "").replace("-", " ").split() if len(w) > 3]
    surname = max(family, key=len)
    other = [w for w in family if w != surname]
    # Enough words to single the patient out among namesakes, as a receptionist would.
    context = " ".join([fold(given), *other])
    yield Case(f"{fold(given)} {' '.join(family)}", patient.id, "exact")
    yield Case(f"{given.upper()} {' '.join(family).upper()}", patient.id, "case")
    yield Case(f"{context} {surname[:4]}", patient.id, "prefix")
    typo = rng.choice(["wrong letter", "missing letter", "extra letter", "swapped letters"])
    yield Case(f"{context} {_typo(surname, typo, rng)}", patient.id, typo)
    kind = rng.choice(["mrn", "identifier", "email", "phone"])
    if kind == "mrn":
        yield Case(patient.mrn, patient.id, kind)
    elif kind == "identifier":
        yield Case(d.identifiers[0].value, patient.id, kind)
    elif kind == "email" and d.email:
        yield Case(d.email.upper(), patient.id, kind)
    elif d.phone:
        digits = "".join(ch for ch in d.phone if ch.isdigit())
        local = digits[-9:]
        formats = [local, f"{local[:3]}-{local[3:6]}-{local[6:]}", f"0{local}", f"+{digits}"]
        yield Case(rng.choice(formats), patient.id, kind)


def _typo(word: str, kind: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    if kind == "wrong letter":
        letter = rng.choice([c for c in "aeioulmnrst" if c != word[i]])
        return word[:i] + letter + word[i + 1 :]
    if kind == "missing letter":
        return word[:i] + word[i + 1 :]
    if kind == "extra letter":
        return word[:i] + rng.choice("aeioulmnrst") + word[i:]
    swaps = [j for j in range(len(word) - 1) if word[j] != word[j + 1]]
    j = rng.choice(swaps)
    return word[:j] + word[j + 1] + word[j] + word[j + 2 :]


def _patient(
    patient_id: str, given: str, family: str, lang: str, n: int, rng: random.Random
) -> Patient:
    code, display = rng.choice(CONDITIONS)
    area = {"PE": "51", "BR": "55", "US": "1"}[COUNTRIES[lang]]
    phone = f"+{area} 9{n:02d} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
    details = PatientDetails(
        name=HumanName.from_parts(tuple(given.split()), family),
        birth_date=date(1950 + n % 60, 1 + n % 12, 1 + n % 28),
        email=f"{fold(given).split()[0]}.{n}@example.org",
        phone=phone,
        address=Address(lines=(f"Calle {rng.randrange(1, 999)}",), city=CITIES[lang]),
        identifiers=(Identifier("urn:national-id", f"{lang.upper()}{70000000 + n * 7919}"),),
        conditions=(CodedEntry(code=code, system="http://snomed.info/sct", display=display),),
    )
    return Patient(
        id=patient_id,
        mrn=f"{COUNTRIES[lang]}-{n:06d}",
        country_id=COUNTRIES[lang],
        details=details,
        created_at=CREATED,
        updated_at=CREATED,
    )
