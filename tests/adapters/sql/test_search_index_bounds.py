"""The SQL search index reads a bounded number of postings whatever the data: with its
bounds made small, a common word beside a rare one still ranks exactly (the rare word's
patients are read in full), and two common words rank from the first postings of each,
every result a true match, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from carehub.adapters.sql import search_index
from carehub.adapters.sql.unit_of_work import SqlUnitOfWork
from carehub.bootstrap import units_of_work
from carehub.patients.search import SearchDocument
from tests.conftest import BACKENDS
from tests.support.clock import AdjustableClock
from tests.support.services import empty_database, fixed_secret_box

NewUnit = Callable[[], SqlUnitOfWork]


@pytest.fixture(params=BACKENDS)
async def new_uow(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[NewUnit]:
    monkeypatch.setattr(search_index, "POSTINGS_READ", 40)
    monkeypatch.setattr(search_index, "MIN_TERM_READ", 10)
    monkeypatch.setattr(search_index, "DRIVEN_PATIENTS", 15)
    async with empty_database(request.param, request, sqlite_template, tmp_path) as db:
        yield units_of_work(db, AdjustableClock(), secrets=fixed_secret_box())


def doc(n: int, *words: str) -> SearchDocument:
    return SearchDocument(f"p{n:03d}", "PE", True, words, ())


async def ranked(new_uow: NewUnit, *groups: dict[str, int]) -> list[tuple[str, int]]:
    async with new_uow() as uow:
        return await uow.search_index.ranked(groups, country_id=None, care_of=None, limit=200)


async def test_a_common_word_beside_a_rare_one_ranks_exactly(new_uow: NewUnit) -> None:
    # 200 Marías; the 12 Condoris have the highest ids, far past what is read of "maria".
    documents = [doc(n, "maria", *(["condori"] if n >= 188 else [])) for n in range(200)]
    async with new_uow() as uow:
        await uow.search_index.put(documents)
        await uow.commit()
    found = await ranked(new_uow, {"maria": 3}, {"condori": 3, "condore": 1})
    assert found == [(f"p{n:03d}", 6) for n in range(188, 200)]


async def test_two_common_words_rank_from_their_first_postings(new_uow: NewUnit) -> None:
    documents = [doc(n, "maria", *(["garcia"] if n % 2 else [])) for n in range(200)]
    async with new_uow() as uow:
        await uow.search_index.put(documents)
        await uow.commit()
    found = await ranked(new_uow, {"maria": 3}, {"garcia": 3})
    # Bounded: no more than the 20 postings read of each word can meet.
    assert 0 < len(found) <= 20
    assert found == [(f"p{n:03d}", 6) for n in range(1, 2 * len(found), 2)]
