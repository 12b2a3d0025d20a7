"""The PatientSearchIndex port on every adapter: documents replaced whole and kept once,
inactive patients never ranked, every group required and the best weight of each summed,
ranking by score then id, the country and care-team narrowing, similar words for every
kind of typo and for prefixes, typed text that is never a pattern, and clearing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import pytest

from carehub.patients.ports import PatientSearchIndex, PatientsUnitOfWork
from carehub.patients.search import SearchDocument, SearchQuery, document_of
from tests.contract.every_adapter import every_adapter  # noqa: F401 (the adapters)
from tests.contract.patient_records import add, person


class Unit(PatientsUnitOfWork, Protocol):
    @property
    def search_index(self) -> PatientSearchIndex: ...


NewUnit = Callable[[], Unit]


def doc(
    patient_id: str,
    *words: str,
    country: str = "PE",
    active: bool = True,
    keys: tuple[str, ...] = (),
) -> SearchDocument:
    return SearchDocument(patient_id, country, active, tuple(words), keys)


async def put(new_uow: NewUnit, *documents: SearchDocument) -> None:
    async with new_uow() as uow:
        await uow.search_index.put(documents)
        await uow.commit()


async def ranked(
    new_uow: NewUnit,
    *groups: Mapping[str, int],
    country: str | None = None,
    care_of: str | None = None,
    limit: int = 50,
) -> list[tuple[str, int]]:
    async with new_uow() as uow:
        return await uow.search_index.ranked(
            groups, country_id=country, care_of=care_of, limit=limit
        )


async def similar(new_uow: NewUnit, word: str, limit: int = 20) -> list[str]:
    async with new_uow() as uow:
        return await uow.search_index.similar_words(word, country_id=None, limit=limit)


async def test_every_group_is_required_and_its_best_weight_counts(new_uow: NewUnit) -> None:
    await put(
        new_uow,
        doc("p1", "jose", "garcia", "lima"),
        doc("p2", "jose", "garcilaso"),
        doc("p3", "maria", "garcia"),
    )
    found = await ranked(new_uow, {"jose": 3}, {"garcia": 3, "garcilaso": 2})
    assert found == [("p1", 6), ("p2", 5)]
    # The best weight of a group, not the sum of what the patient holds in it.
    assert await ranked(new_uow, {"jose": 3, "lima": 1}) == [("p1", 3), ("p2", 3)]
    assert await ranked(new_uow, {"jose": 3}, {"nobody": 3}) == []
    assert await ranked(new_uow) == []


async def test_ranks_by_score_then_id_and_stops_at_the_limit(new_uow: NewUnit) -> None:
    await put(
        new_uow, *(doc(f"p{n:02d}", "quispe", *(["huaman"] if n % 3 else [])) for n in range(30))
    )
    found = await ranked(new_uow, {"quispe": 3, "huaman": 1}, {"quispe": 1, "huaman": 3})
    expected = sorted(
        ((f"p{n:02d}", 6 if n % 3 else 4) for n in range(30)), key=lambda i: (-i[1], i[0])
    )
    assert found == expected
    assert await ranked(new_uow, {"quispe": 3}, limit=7) == [(f"p{n:02d}", 3) for n in range(7)]


async def test_a_document_is_replaced_whole_and_kept_once(new_uow: NewUnit) -> None:
    first = doc("p1", "ana", "torres", keys=("mrn:00042",))
    await put(new_uow, first)
    await put(new_uow, first, first)
    assert await ranked(new_uow, {"torres": 3}) == [("p1", 3)]
    await put(new_uow, doc("p1", "ana", "rojas", keys=("mrn:00043",)))
    assert await ranked(new_uow, {"torres": 3}) == []
    assert await ranked(new_uow, {"mrn:00042": 100}) == []
    assert await ranked(new_uow, {"mrn:00043": 100}) == [("p1", 100)]
    assert await ranked(new_uow, {"rojas": 3}) == [("p1", 3)]


async def test_keys_rank_like_words(new_uow: NewUnit) -> None:
    await put(
        new_uow,
        doc("p1", "ana", keys=("tel:987654321", "tel:87654321")),
        doc("p2", "ana", keys=("email:ana@example.org",)),
    )
    assert await ranked(new_uow, {"tel:987654321": 100, "email:x@y.z": 100}) == [("p1", 100)]
    assert await ranked(new_uow, {"email:ana@example.org": 100}) == [("p2", 100)]


async def test_an_inactive_patient_is_never_ranked(new_uow: NewUnit) -> None:
    await put(new_uow, doc("p1", "flores"), doc("p2", "flores"))
    await put(new_uow, doc("p1", "flores", active=False))
    assert await ranked(new_uow, {"flores": 3}) == [("p2", 3)]
    await put(new_uow, doc("p1", "flores"))
    assert await ranked(new_uow, {"flores": 3}) == [("p1", 3), ("p2", 3)]


async def test_narrows_to_a_country(new_uow: NewUnit) -> None:
    await put(new_uow, doc("p1", "silva", country="PE"), doc("p2", "silva", country="BR"))
    assert await ranked(new_uow, {"silva": 3}, country="BR") == [("p2", 3)]
    assert await ranked(new_uow, {"silva": 3}, country="CL") == []
    assert len(await ranked(new_uow, {"silva": 3})) == 2


async def test_narrows_to_a_care_team(new_uow: NewUnit) -> None:
    mine, other = person("Rosa Mamani"), person("Rosa Mamani")
    await add(new_uow, mine, other)
    async with new_uow() as uow:
        await uow.patients.add_care_relationship("doc-1", mine.id)
        await uow.commit()
    await put(new_uow, document_of(mine), document_of(other))
    assert await ranked(new_uow, {"mamani": 3}, care_of="doc-1") == [(mine.id, 3)]
    assert await ranked(new_uow, {"mamani": 3}, care_of="doc-2") == []
    both = await ranked(new_uow, {"mamani": 3}, country="PE")
    assert sorted(both) == sorted([(mine.id, 3), (other.id, 3)])


@pytest.mark.parametrize(
    ("typed", "indexed"),
    [
        ("gutierez", "gutierrez"),  # a missing letter
        ("gonzales", "gonzalez"),  # a wrong letter at the end
        ("gonez", "gomez"),  # a wrong letter in the middle of five
        ("gmoez", "gomez"),  # two letters swapped
        ("goemz", "gomez"),
        ("ogmez", "gomez"),
        ("gommez", "gomez"),  # an extra letter
        ("omez", "gomez"),  # the first letter missing
    ],
)
async def test_similar_words_include_every_one_edit_neighbour(
    new_uow: NewUnit, typed: str, indexed: str
) -> None:
    noise = [f"{a}{b}mez" for a in "abcdf" for b in "aeiu"] + ["garcia", "gonzaga", "gomes"]
    await put(new_uow, doc("p1", indexed), doc("p2", *noise))
    offered = await similar(new_uow, typed, limit=40)
    assert indexed in offered
    query = SearchQuery.parse(typed)
    groups = query.word_groups([offered])
    assert groups is not None and indexed in groups[0]


async def test_similar_words_include_prefixes_and_are_bounded(new_uow: NewUnit) -> None:
    await put(new_uow, doc("p1", *(f"mor{n:03d}x" for n in range(60)), "morales", "mora"))
    offered = await similar(new_uow, "mora", limit=10)
    assert "mora" in offered
    assert len(offered) <= 20
    assert "morales" in await similar(new_uow, "moral", limit=10)
    short = await similar(new_uow, "mo", limit=10)
    assert len(short) == 10 and all(w.startswith("mo") for w in short)


@pytest.mark.parametrize("typed", ['"', 'a"b', "%", "_a", "a%", "*", "'; drop", "or", "NEAR"])
async def test_typed_text_is_never_a_pattern(new_uow: NewUnit, typed: str) -> None:
    await put(new_uow, doc("p1", "ana", "abad", "or"))
    offered = await similar(new_uow, typed)
    assert all(w.startswith(typed) or typed in w or w in ("ana", "abad", "or") for w in offered)
    if typed in ("%", "_a", "a%", "*"):
        assert not any(w.startswith(typed) for w in offered)
    if typed != "or":
        assert await ranked(new_uow, {typed: 3}) == []


async def test_clear_forgets_every_entry(new_uow: NewUnit) -> None:
    await put(new_uow, doc("p1", "vargas"), doc("p2", "vargas", country="CL"))
    async with new_uow() as uow:
        await uow.search_index.clear()
        await uow.commit()
    assert await ranked(new_uow, {"vargas": 3}) == []
    assert await similar(new_uow, "vargas") == []


async def test_a_rolled_back_put_leaves_nothing(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        await uow.search_index.put([doc("p1", "cusi")])
    assert await ranked(new_uow, {"cusi": 3}) == []
