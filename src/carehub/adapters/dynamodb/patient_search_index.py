"""The patient search index on DynamoDB: word partitions (by leading trigram, for
prefixes, and by one-deletion variant, for typos) and term postings in the table, one
country per partition, every read capped (docs/dynamodb.md, "patient search").

A search reads at most SEARCH_READS items in one country, whatever the data: the caps
below bound every Query's `Limit`, and nothing is a Scan or a filter expression (which
would pay for what it discards). A cap that binds makes the answer a bounded sample in
patient-id order (postings are sorted by id, as the ranking breaks ties), never a longer
read.

`put`'s writes wait for the unit's commit, which sends them before its transaction in
`BatchWriteItem`s of 25 (`BulkWrites`): a document's postings and words outgrow the 100
items a transaction takes, and they are idempotent, so a consumer whose commit fails
after them puts the same document again and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, key_of, to_wire
from carehub.adapters.dynamodb.maintenance import scan_kinds
from carehub.adapters.dynamodb.pages import index_items
from carehub.adapters.dynamodb.patient_items import care_key
from carehub.adapters.dynamodb.search_items import (
    COUNTRIES,
    KINDS,
    country_item,
    document_item,
    document_key,
    document_of,
    front_partition,
    posting_item,
    postings,
    term_partition,
    variant_partition,
    variants,
    word_items,
)
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.patients.search import MAX_WORD, MAX_WORDS, SearchDocument, rank, trigrams

# Words the prefix read returns at most (the word itself sorts first).
PREFIX_WORDS = 50
# Words one variant partition's read returns at most, and the variants a query word has at
# most (itself and one per letter deleted, up to MAX_WORD letters).
VARIANT_WORDS = 10
MAX_VARIANTS = MAX_WORD + 1
SIMILAR_WORDS_READS = PREFIX_WORDS + MAX_VARIANTS * VARIANT_WORDS
# Postings one term's read returns at most, and one `ranked` call reads in all (shared
# out between its groups, the heaviest terms of each first); a group's lightest terms past
# TERMS_PER_GROUP are not read (its postings then count as cut short).
POSTINGS_PER_TERM = 200
TERMS_PER_GROUP = 100
RANKED_POSTINGS = 1000
# Candidates whose document (and care item) is read when a group's postings were cut short.
MAX_CANDIDATES = 200
# A doctor's care items read at most; past that, candidates' care items are read instead.
CARE_ITEMS = 500
RANKED_READS = RANKED_POSTINGS + CARE_ITEMS + 2 * MAX_CANDIDATES
# One search in one country: a `similar_words` per query word and two `ranked` calls (the
# words' groups, and the key terms).
SEARCH_READS = MAX_WORDS * SIMILAR_WORDS_READS + 2 * RANKED_READS
# Countries a search without one (an admin's) goes through, each within the caps above,
# after reading as many registry items to know them, in each of its calls.
MAX_COUNTRIES = 8
SEARCH_READS_ANY_COUNTRY = MAX_COUNTRIES * (SEARCH_READS + MAX_WORDS + 2)
_BATCH_GET = 100  # BatchGetItem's limit


class DynamoPatientSearchIndex:
    """`carehub.patients.ports.PatientSearchIndex` over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def put(self, documents: Sequence[SearchDocument]) -> None:
        latest = {document.patient_id: document for document in documents}
        before = await self._documents(list(latest))
        puts: dict[Key, Item] = {}
        stale: set[Key] = set()
        for patient_id, document in latest.items():
            old = before.get(patient_id)
            had = postings(old) if old is not None else set()
            has = postings(document)
            puts.update({key: posting_item(key) for key in has - had})
            stale |= had - has
            indexed = old is not None and old.active and old.country_id == document.country_id
            known = set(old.words) if old is not None and indexed else set()
            if document.active:
                new_words = [word for word in document.words if word not in known]
                for item in word_items(document.country_id, new_words):
                    puts[(item["PK"], item["SK"])] = item
            if old is None or old.country_id != document.country_id:
                item = country_item(document.country_id)
                puts[(item["PK"], item["SK"])] = item
        changed = [d for d in latest.values() if before.get(d.patient_id) != d]
        # The document items go last: until they are written, a retry reads the old ones
        # and finds the same stale postings again.
        self._session.bulk.add(list(puts.values()), sorted(stale))
        self._session.bulk.add([document_item(d) for d in changed], [])

    async def similar_words(self, word: str, *, country_id: str | None, limit: int) -> list[str]:
        countries = await self._countries(country_id)
        reads = await asyncio.gather(
            *(self._prefixed(c, word, limit) for c in countries),
            *(self._one_typo_away(c, word) for c in countries),
        )
        prefixed = {w for found in reads[: len(countries)] for w in found}
        similar = {w for found in reads[len(countries) :] for w in found}
        shared = set(trigrams(word))
        by_likeness = sorted(similar, key=lambda w: (-len(shared & set(trigrams(w))), w))
        return list(dict.fromkeys([*by_likeness[:limit], *sorted(prefixed)[:limit]]))

    async def ranked(
        self,
        groups: Sequence[Mapping[str, int]],
        *,
        country_id: str | None,
        care_of: str | None,
        limit: int,
    ) -> list[tuple[str, int]]:
        if not groups or not all(groups):
            return []
        care = None if care_of is None else await self._care(care_of)
        countries = await self._countries(country_id)
        found: list[tuple[str, int]] = []
        for matches in await asyncio.gather(
            *(self._ranked_in(country, groups, care_of, care) for country in countries)
        ):
            found += matches
        found.sort(key=lambda pair: (-pair[1], pair[0]))
        return found[:limit]

    async def clear(self) -> None:
        session = self._session
        start_key = None
        while True:
            items, start_key = await scan_kinds(
                session.table, KINDS, start_key=start_key, projection="PK, SK"
            )
            keys = [key_of(item["PK"], item["SK"]) for item in items]
            await session.table.delete_many(keys, session.capacity)
            if start_key is None:
                return

    async def _ranked_in(
        self,
        country: str,
        groups: Sequence[Mapping[str, int]],
        care_of: str | None,
        care: tuple[set[str], bool] | None,
    ) -> list[tuple[str, int]]:
        """The country's matches: each group's postings read within its share of the
        budget; when a group was cut short, the candidates of the smallest whole group are
        checked against their documents instead."""
        share = max(1, RANKED_POSTINGS // len(groups))
        reads = await asyncio.gather(*(self._postings(country, g, share) for g in groups))
        held = [best for best, _ in reads]
        whole = [complete for _, complete in reads]
        complete_groups = [best for best, complete in zip(held, whole, strict=True) if complete]
        driver = min(complete_groups or held, key=len)
        candidates = [p for p in driver if all(p in best for best in complete_groups)]
        candidates = await self._in_care(candidates, care_of, care)
        scores: dict[str, int] = {}
        unknown: list[str] = []
        for patient_id in candidates:
            weights = [best.get(patient_id, 0) for best in held]
            if all(weights):
                scores[patient_id] = sum(weights)
            else:
                unknown.append(patient_id)
        if unknown:
            unknown.sort(key=lambda p: (-sum(best.get(p, 0) for best in held), p))
            documents = await self._documents(unknown[:MAX_CANDIDATES])
            for patient_id, document in documents.items():
                # Inactive or moved since its postings were read: not this country's match.
                if not document.active or document.country_id != country:
                    continue
                score = rank(groups, document.terms())
                if score is not None:
                    scores[patient_id] = score
        return list(scores.items())

    async def _postings(
        self, country: str, group: Mapping[str, int], budget: int
    ) -> tuple[dict[str, int], bool]:
        """The best weight each patient holds in the group, and whether every posting of
        the group was read. The heaviest terms are read first, each weight's terms at once
        with the budget shared out evenly; at most TERMS_PER_GROUP terms."""
        terms = sorted(group.items(), key=lambda pair: (-pair[1], pair[0]))[:TERMS_PER_GROUP]
        best: dict[str, int] = {}
        complete = len(terms) == len(group)
        for weight in sorted({weight for _, weight in terms}, reverse=True):
            tier = [term for term, w in terms if w == weight]
            if budget < len(tier):
                complete, tier = False, tier[:budget]
            if not tier:
                break
            each = min(POSTINGS_PER_TERM, budget // len(tier))
            queries = [_partition_query(term_partition(country, term)) for term in tier]
            reads = await asyncio.gather(*(self._read(query, each) for query in queries))
            for items, more in reads:
                budget -= len(items)
                complete = complete and not more
                for item in items:
                    best[item["SK"]] = max(best.get(item["SK"], 0), weight)
        return best, complete

    async def _in_care(
        self, candidates: list[str], care_of: str | None, care: tuple[set[str], bool] | None
    ) -> list[str]:
        """The candidates in the doctor's care: by the care items read, and when those were
        cut short, by the care items of the first MAX_CANDIDATES others."""
        if care_of is None or care is None:
            return candidates
        patients, complete = care
        inside = [p for p in candidates if p in patients]
        if complete:
            return inside
        others = [p for p in candidates if p not in patients][:MAX_CANDIDATES]
        found = await self._get_many([care_key(care_of, p) for p in others])
        return sorted([*inside, *(key[0].removeprefix("PATIENT#") for key in found)])

    async def _care(self, care_of: str) -> tuple[set[str], bool]:
        items = await index_items(self._session, "GSI1", f"CARE#{care_of}", limit=CARE_ITEMS)
        return {item["patient_id"] for item in items}, len(items) < CARE_ITEMS

    async def _prefixed(self, country: str, word: str, limit: int) -> set[str]:
        params = _partition_query(front_partition(country, word))
        params["KeyConditionExpression"] += " AND begins_with(SK, :prefix)"
        params["ExpressionAttributeValues"].update(to_wire({":prefix": word}))
        items, _ = await self._read(params, min(limit, PREFIX_WORDS))
        return {item["SK"] for item in items}

    async def _one_typo_away(self, country: str, word: str) -> set[str]:
        """The words listed under the word's variants: every word one typo from it."""
        queries = [_partition_query(variant_partition(country, v)) for v in variants(word)]
        reads = await asyncio.gather(
            *(self._read(query, VARIANT_WORDS) for query in queries[:MAX_VARIANTS])
        )
        return {item["SK"] for items, _ in reads for item in items}

    async def _countries(self, country_id: str | None) -> list[str]:
        if country_id is not None:
            return [country_id]
        items, _ = await self._read(_partition_query(COUNTRIES), MAX_COUNTRIES)
        return [item["SK"] for item in items]

    async def _documents(self, patient_ids: Sequence[str]) -> dict[str, SearchDocument]:
        found = await self._get_many([document_key(p) for p in patient_ids])
        return {document_of(item).patient_id: document_of(item) for item in found.values()}

    async def _get_many(self, keys: Sequence[Key]) -> dict[Key, Item]:
        found: dict[Key, Item] = {}
        for start in range(0, len(keys), _BATCH_GET):
            got = await self._session.get_many(keys[start : start + _BATCH_GET])
            found.update({key: item for key, item in got.items() if item is not None})
        return found

    async def _read(self, params: dict[str, Any], limit: int) -> tuple[list[Item], bool]:
        """Up to `limit` items of a Query (DynamoDB's 1 MB pages followed); and whether
        there may be more."""
        found: list[Item] = []
        while len(found) < limit:
            params["Limit"] = limit - len(found)
            items, last = await self._session.query(**params)
            found += items
            if last is None:
                return found, False
            params["ExclusiveStartKey"] = last
        return found, True


def _partition_query(partition: str) -> dict[str, Any]:
    return {
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": to_wire({":pk": partition}),
    }
