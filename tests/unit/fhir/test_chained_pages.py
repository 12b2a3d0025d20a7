"""Search pages over several lists, or over items that are several resources each: every
resource comes once, in order, whatever `_count`, and cursors are checked."""

from __future__ import annotations

import pytest

from carehub.fhir.chained_pages import MAX_READS, Source, StorePage, chained_page
from carehub.kernel.errors import Invalid


def listed(items: list[list[str]], per_item: int = 1) -> Source[str]:
    """A list paged by the store `limit` items at a time; each item is `per_item`
    resources."""

    async def read(cursor: str | None, limit: int) -> StorePage[str]:
        start = int(cursor or 0)
        page = items[start : start + limit]
        following = str(start + limit) if start + limit < len(items) else None
        return [f"{r}#{n}" for item in page for r in item for n in range(per_item)], following

    return Source(read, 2)


async def every_page(sources: list[Source[str]], count: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        found, cursor = await chained_page(sources, cursor, count)
        pages.append(found)
        if cursor is None:
            return pages


@pytest.mark.parametrize("count", [1, 2, 3, 7, 100])
async def test_every_resource_comes_once_in_order(count: int) -> None:
    notes = listed([["n1"], ["n2"], ["n3"]])
    files = listed([["f1"], ["f2"]])
    checklists = listed([["c1"], ["c2"]], per_item=4)
    pages = await every_page([notes, files, checklists], count)
    expected = ["n1#0", "n2#0", "n3#0", "f1#0", "f2#0"]
    expected += [f"c{c}#{n}" for c in (1, 2) for n in range(4)]
    assert [r for page in pages for r in page] == expected
    assert all(len(page) <= count for page in pages)
    assert all(len(page) == count for page in pages[:-1])


async def test_an_empty_list_is_passed_over() -> None:
    assert await every_page([listed([]), listed([["x"]])], 5) == [["x#0"]]


async def test_a_page_reads_a_bounded_number_of_store_pages() -> None:
    reads = 0

    async def empty(cursor: str | None, limit: int) -> StorePage[str]:
        nonlocal reads
        reads += 1
        return [], str(int(cursor or 0) + 1)

    found, following = await chained_page([Source(empty, 2)], None, 10)
    assert (found, reads) == ([], MAX_READS)
    assert following is not None


@pytest.mark.parametrize("cursor", ["nonsense", "eyJzIjo1LCJjIjpudWxsLCJuIjowfQ"])
async def test_a_cursor_this_search_did_not_give_is_refused(cursor: str) -> None:
    with pytest.raises(Invalid) as refused:
        await chained_page([listed([["x"]])], cursor, 5)
    assert refused.value.errors[0].field == "_cursor"
