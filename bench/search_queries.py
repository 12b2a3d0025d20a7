"""What the search benchmark asks: marker patients with names the demo data never uses,
the queries that should find them (spelt right, and with one typo), and the common-name
queries that match thousands of demo patients.

A typo query is judged only where the right spelling names one patient: the demo's
million people share a few hundred names, and "Jose Garcia" misspelt has no single right
answer among the twelve thousand José Garcías.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COUNTRIES = ("PE", "CL", "CO", "MX", "US")
GIVEN = (
    "Wayra", "Illari", "Kusi", "Amaru", "Sumaq", "Killa", "Yaku", "Inti", "Nayra", "Qori",
    "Joaquim", "Conceição", "Gonçalo", "Leonor", "Thiago", "Iolanda", "Benedita", "Rui",
    "Winifred", "Percival", "Gwendolyn", "Bartholomew", "Imogen", "Rupert", "Ottoline",
    "Ximena", "Eulalia", "Fermín", "Críspulo", "Anunciación", "Leocadia", "Heriberto",
)  # fmt: skip
FAMILY = (
    "Quispe", "Mamani", "Huamán", "Condori", "Choquehuanca", "Yupanqui", "Huallpa",
    "Sullca", "Ccori", "Tupayachi", "Apaza", "Ticona", "Gonçalves", "Magalhães",
    "Figueiredo", "Brandão", "Assunção", "Albuquerque", "Vasconcelos", "Whitaker",
    "Fairweather", "Blackwood", "Ashworth", "Pennington", "Oyarzún", "Echeverría",
    "Irigoyen", "Zubizarreta", "Goicoechea", "Villavicencio", "Santa Cruz", "Del Río",
    "García-Márquez", "Pérez-Cuéllar", "Ruiz-Tagle", "Montes de Oca",
)  # fmt: skip


@dataclass(frozen=True)
class Marker:
    """A patient the benchmark registers, and the typo query that should find them."""

    name: str
    country_id: str
    typo_query: str


def markers(count: int, *, seed: int = 11) -> list[Marker]:
    """`count` patients with distinct names (given name and two family names)."""
    rng = random.Random(seed)
    names: set[str] = set()
    found = []
    while len(found) < count:
        given = rng.choice(GIVEN)
        first, second = rng.sample(FAMILY, 2)
        name = f"{given} {first} {second}"
        if name in names or not _typo_words(name):
            continue
        names.add(name)
        found.append(Marker(name, rng.choice(COUNTRIES), one_typo(name, rng)))
    return found


def one_typo(name: str, rng: random.Random) -> str:
    """`name` with one letter wrong, missing, extra or swapped in one word of 5+ letters."""
    words = name.split(" ")
    index = rng.choice(_typo_words(name))
    word = words[index].lower()
    at = rng.randrange(1, len(word) - 1)  # never the first letter: people get that right
    kind = rng.choice(("wrong", "missing", "extra", "swapped"))
    if kind == "wrong":
        word = word[:at] + _other_letter(word[at], rng) + word[at + 1 :]
    elif kind == "missing":
        word = word[:at] + word[at + 1 :]
    elif kind == "extra":
        word = word[:at] + _other_letter(word[at], rng) + word[at:]
    else:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    words[index] = word
    return " ".join(words).lower()


def _typo_words(name: str) -> list[int]:
    """The words of `name` (by position) the typo rule covers: 5 letters or more."""
    return [i for i, w in enumerate(name.split(" ")) if len(w) >= 5 and w.isalpha()]


def _other_letter(letter: str, rng: random.Random) -> str:
    return rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != letter])


# Names the demo data gives thousands of people: the heaviest queries there are.
COMMON_QUERIES = (
    "maria garcia",
    "jose gonzalez",
    "gonz",
    "lopez",
    "garsia",
    "smith",
    "rodriguez perez",
    "ana",
    "carlos mart",
    "sofia",
)
