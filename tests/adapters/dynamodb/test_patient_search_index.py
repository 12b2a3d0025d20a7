"""The patient search index on DynamoDB beyond its contract suite: a search over partitions
far bigger than its caps reads no more items than the documented bound (every Query with
a `Limit`), and still finds its matches; and two words one typo apart always meet in a
variant partition."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from carehub.adapters.dynamodb import patient_search_index as index_module
from carehub.adapters.dynamodb.search_items import variants
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.patients import search_service
from carehub.patients.search import MIN_TYPO_WORD, SearchDocument, SearchQuery, one_edit
from tests.contract.patient_records import person
from tests.support.clock import AdjustableClock

NewUnit = Callable[[], DynamoUnitOfWork]
COMMON = ("maria", "garcia", "lopez", "quispe", "mamani", "flores", "rojas", "torres")
PATIENTS = 600  # every common word's postings pass POSTINGS_PER_TERM and a group's share
DOCTOR = "doc-1"


def _edits(word: str) -> Iterator[str]:
    """Every word one substitution, insertion, deletion or swap away (letters a..e)."""
    for i in range(len(word) + 1):
        for letter in "abcde":
            yield word[:i] + letter + word[i:]
            if i < len(word):
                yield word[:i] + letter + word[i + 1 :]
        if i < len(word):
            yield word[:i] + word[i + 1 :]
        if i + 1 < len(word):
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@pytest.mark.parametrize("typed", ["omez", "gomez", "garcia", "gutierez", "huamanchumo"])
def test_words_one_typo_apart_share_a_variant_partition(typed: str) -> None:
    for indexed in _edits(typed):
        if one_edit(typed, indexed) and max(len(typed), len(indexed)) >= MIN_TYPO_WORD:
            assert set(variants(typed)) & set(variants(indexed)), indexed


def _letters(n: int) -> str:
    return "".join(string.ascii_lowercase[(n // 26**k) % 26] for k in range(3))


def _document(n: int, country: str = "PE") -> SearchDocument:
    """Patient n of a country (ids `p…` in PE, `b…` in BO)."""
    # Each patient adds words that crowd the partitions of the common ones' prefixes.
    words = (*COMMON, f"gar{_letters(n)}", f"{_letters(n)}rcia", f"ma{n:04d}")
    keys = (f"mrn:{n:08d}", f"tel:5550{n:04d}", "tel:1234567")
    prefix = "p" if country == "PE" else "b"
    return SearchDocument(f"{prefix}{n:05d}", country, True, words, keys)


async def _populate(new_uow: NewUnit) -> None:
    for start in range(0, PATIENTS, 200):
        async with new_uow() as uow:
            await uow.search_index.put([_document(n) for n in range(start, start + 200)])
            await uow.search_index.put([_document(n, "BO") for n in range(start, start + 20)])
            await uow.commit()
    for start in range(0, PATIENTS, 90):  # a transaction takes 100 items
        async with new_uow() as uow:
            for n in range(start, min(start + 90, PATIENTS)):
                await uow.patients.add_care_relationship(DOCTOR, f"p{n:05d}")
            await uow.commit()


class ReadCounter:
    """The items each Query and BatchGetItem of the sessions returned or asked for."""

    def __init__(self, patches: pytest.MonkeyPatch) -> None:
        self.items = 0
        self.limits: list[int] = []
        query, get_many = DynamoSession.query, DynamoSession.get_many

        async def counted_query(session: DynamoSession, **params: Any) -> Any:
            self.limits.append(params["Limit"])  # a KeyError: a Query without a Limit
            items, last = await query(session, **params)
            self.items += len(items)
            return items, last

        async def counted_get_many(session: DynamoSession, keys: Any) -> Any:
            self.items += len(keys)
            return await get_many(session, keys)

        patches.setattr(DynamoSession, "query", counted_query)
        patches.setattr(DynamoSession, "get_many", counted_get_many)


async def _search(
    new_uow: NewUnit, q: str, *, country: str | None, care_of: str | None = None
) -> list[tuple[str, int]]:
    """What the search use case asks the index: similar words per query word, then the
    ranked word groups and the ranked key terms."""
    query = SearchQuery.parse(q)
    async with new_uow() as uow:
        index = uow.search_index
        offered = [
            await index.similar_words(word, country_id=country, limit=50) for word in query.words
        ]
        groups = query.word_groups(offered)
        narrowing: dict[str, Any] = {"country_id": country, "care_of": care_of, "limit": 200}
        by_words = [] if groups is None else await index.ranked(groups, **narrowing)
        by_keys = await index.ranked([query.key_group()], **narrowing)
    return [*by_words, *by_keys]


SEARCHES = [  # (what, query, country, care team)
    ("a rare word", "ma0042", "PE", None),
    ("one common word", "quispe", "PE", None),
    ("two common words", "maria garcia", "PE", None),
    ("two common words, typos", "mraia gracia", "PE", None),
    ("a shared phone", "1234567", "PE", None),
    ("eight words", "maria garcia lopez quispe mamani flores rojas tor", "PE", None),
    (
        "eight words, typos, a doctor",
        "marai garcai lopze quipse mamnai florse rojsa torrse",
        "PE",
        DOCTOR,
    ),
    ("eight words, every country", "maria garcia lopez quispe mamani flores rojas tor", None, None),
    ("a shared phone, every country, a doctor", "1234567", None, DOCTOR),
]


@pytest.mark.aws
async def test_a_search_over_big_partitions_reads_at_most_the_bound(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _populate(new_uow)
    # The doctor's care items pass CARE_ITEMS: the candidates' own are read instead.
    monkeypatch.setattr(index_module, "CARE_ITEMS", PATIENTS // 2)
    figures: dict[str, int] = {}
    for what, q, country, care_of in SEARCHES:
        with monkeypatch.context() as patches:
            reads = ReadCounter(patches)
            found = await _search(new_uow, q, country=country, care_of=care_of)
        figures[what] = reads.items
        assert reads.items <= index_module.SEARCH_READS, what
        assert reads.limits and max(reads.limits) <= index_module.CARE_ITEMS, what
        # A bounded read still answers: patients holding every word, lowest ids first.
        ids = [patient_id for patient_id, _ in found]
        assert ("p00042" if what == "a rare word" else "p00000") in ids, what
        if country == "PE" or care_of is not None:
            assert all(patient_id.startswith("p") for patient_id in ids), what
    with capsys.disabled():  # the figures docs/dynamodb.md gives
        print("\nitems read per search:", figures)
    assert figures["a rare word"] < figures["eight words"]


@pytest.mark.aws
async def test_a_reindex_forgets_stale_entries_and_puts_every_patient(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_service, "REINDEX_BATCH", 2)  # pages of the patient list
    people = [person("Killa Mamani"), person("Inti Condori"), person("Sisa Mamani", country="BO")]
    async with new_uow() as uow:
        await uow.patients.add_many(people)
        await uow.search_index.put([SearchDocument(people[0].id, "PE", True, ("huallpa",), ())])
        await uow.commit()
    admin = Actor(id="admin-1", role=Role.ADMIN)
    service = search_service.PatientSearchService(new_uow, AdjustableClock())
    assert await service.reindex(actor=admin) == 3
    async with new_uow() as uow:
        index = uow.search_index
        assert await index.ranked([{"huallpa": 3}], country_id=None, care_of=None, limit=9) == []
        found = await index.ranked([{"mamani": 3}], country_id=None, care_of=None, limit=9)
        in_peru = await index.ranked([{"mamani": 3}], country_id="PE", care_of=None, limit=9)
        assert await index.similar_words("condory", country_id="PE", limit=9) == ["condori"]
    assert sorted(found) == sorted([(people[0].id, 3), (people[2].id, 3)])
    assert in_peru == [(people[0].id, 3)]


@pytest.mark.aws
async def test_a_second_put_in_one_unit_replaces_the_first(new_uow: NewUnit) -> None:
    async with new_uow() as uow:
        await uow.search_index.put([SearchDocument("p1", "PE", True, ("ayala",), ())])
        await uow.search_index.put([SearchDocument("p1", "PE", True, ("yupanqui",), ())])
        await uow.commit()
    async with new_uow() as uow:
        index = uow.search_index
        assert await index.ranked([{"ayala": 3}], country_id="PE", care_of=None, limit=9) == []
        found = await index.ranked([{"yupanqui": 3}], country_id=None, care_of=None, limit=9)
    assert found == [("p1", 3)]


def test_the_bounds_are_the_documented_figures() -> None:
    assert index_module.SEARCH_READS == 7480
