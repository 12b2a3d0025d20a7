"""The patient search index on DynamoDB: word partitions (by leading trigram, for
prefixes, and by one-deletion variant, for typos) and term postings in the table, per
country and for every country, every read capped (docs/dynamodb.md, "patient search").

A search reads at most SEARCH_READS items, whatever the data: the caps below bound every
Query's `Limit`, and nothing is a Scan or a filter expression (which would pay for what it
discards). A search without a country reads the every-country scope, within the same
caps. A cap that binds makes the answer a bounded sample in patient-id order (postings
are sorted by id, as the ranking breaks ties), never a longer read.

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
from carehub.adapters.dynamodb.pages import index_items, query_items
from carehub.adapters.dynamodb.patient_items import care_key
from carehub.adapters.dynamodb.search_items import (
    EVERY_COUNTRY,
    KINDS,
    document_item,
    document_key,
    document_of,
    front_key,
    front_partition,
    posting_item,
    postings,
    scopes,
    term_partition,
    variant_items,
    variant_partition,
    variants,
    word_item,
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
# One search: a `similar_words` per query word and two `ranked` calls (the words' groups,
# and the key terms).
SEARCH_READS = MAX_WORDS * SIMILAR_WORDS_READS + 2 * RANKED_READS
_BATCH_GET = 100  # BatchGetItem's limit


class DynamoPatientSearchIndex:
    """`carehub.patients.ports.PatientSearchIndex` over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session
        # What this unit put, not sent before its commit: a second put of one patient
        # replaces what the first would leave.
        self._put: dict[str, SearchDocument] = {}

    async def put(self, documents: Sequence[SearchDocument]) -> None:
        latest = {document.patient_id: document for document in documents}
        before = await self._documents([p for p in latest if p not in self._put])
        before.update({p: self._put[p] for p in latest if p in self._put})
        self._put.update(latest)
        posted: dict[Key, Item] = {}
        stale: set[Key] = set()
        words: set[tuple[str, str]] = set()  # (scope, word)
        for patient_id, document in latest.items():
            old = before.get(patient_id)
            had = postings(old) if old is not None else set()
            has = postings(document)
            posted.update({key: posting_item(key) for key in has - had})
            stale |= had - has
            if document.active:
                words |= {(s, w) for s in scopes(document.country_id) for w in document.words}
        # A word is listed under its variants before its own item is written, so a word
        # whose item is there needs nothing more, and most of a country's words are.
        listed = await self._get_many([front_key(*scoped) for scoped in sorted(words)])
        new = [scoped for scoped in sorted(words) if front_key(*scoped) not in listed]
        listings = [item for scope, word in new for item in variant_items(scope, [word])]
        changed = [d for d in latest.values() if before.get(d.patient_id) != d]
        bulk = self._session.bulk
        bulk.add([*posted.values(), *listings], sorted(stale))
        # The document items go last: until they are written, a retry reads the old ones
        # and finds the same stale postings again.
        fronts = [word_item(front_key(*scoped)) for scoped in new]
        bulk.add([*fronts, *(document_item(d) for d in changed)], [])

    async def similar_words(self, word: str, *, country_id: str | None, limit: int) -> list[str]:
        scope = country_id or EVERY_COUNTRY
        prefixed, similar = await asyncio.gather(
            self._prefixed(scope, word, limit), self._one_typo_away(scope, word)
        )
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
        scope = country_id or EVERY_COUNTRY
        share = max(1, RANKED_POSTINGS // len(groups))
        reads = await asyncio.gather(*(self._postings(scope, g, share) for g in groups))
        held = [best for best, _ in reads]
        whole = [best for best, complete in reads if complete]
        # Driven by the smallest group read whole (or, when none was, the smallest read).
        driver = min(whole or held, key=len)
        candidates = [p for p in driver if all(p in best for best in whole)]
        if care_of is not None:
            candidates = await self._in_care(candidates, care_of)
        scores: dict[str, int] = {}
        unknown: list[str] = []
        for patient_id in candidates:
            weights = [best.get(patient_id, 0) for best in held]
            if all(weights):
                scores[patient_id] = sum(weights)
            else:
                unknown.append(patient_id)
        # A group cut short may hold a candidate past what was read: its document says.
        unknown.sort(key=lambda p: (-sum(best.get(p, 0) for best in held), p))
        documents = await self._documents(unknown[:MAX_CANDIDATES])
        for patient_id, document in documents.items():
            # Inactive or moved since its postings were read: no match here any more.
            if not document.active or scope not in scopes(document.country_id):
                continue
            score = rank(groups, document.terms())
            if score is not None:
                scores[patient_id] = score
        return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]

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

    async def _postings(
        self, scope: str, group: Mapping[str, int], budget: int
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
            queries = [_partition_query(term_partition(scope, term)) for term in tier]
            session = self._session
            reads = await asyncio.gather(*(query_items(session, q, each) for q in queries))
            for items, more in reads:
                budget -= len(items)
                complete = complete and not more
                for item in items:
                    best[item["SK"]] = max(best.get(item["SK"], 0), weight)
        return best, complete

    async def _in_care(self, candidates: list[str], care_of: str) -> list[str]:
        """The candidates in the doctor's care: by the doctor's care items, and when there
        are more than CARE_ITEMS, by the care items of the first MAX_CANDIDATES others."""
        items = await index_items(self._session, "GSI1", f"CARE#{care_of}", limit=CARE_ITEMS)
        patients = {item["patient_id"] for item in items}
        inside = [p for p in candidates if p in patients]
        if len(items) < CARE_ITEMS:
            return inside
        others = [p for p in candidates if p not in patients][:MAX_CANDIDATES]
        found = await self._get_many([care_key(care_of, p) for p in others])
        return [*inside, *(pk.removeprefix("PATIENT#") for pk, _ in found)]

    async def _prefixed(self, scope: str, word: str, limit: int) -> set[str]:
        params = _partition_query(front_partition(scope, word))
        params["KeyConditionExpression"] += " AND begins_with(SK, :prefix)"
        params["ExpressionAttributeValues"].update(to_wire({":prefix": word}))
        items, _ = await query_items(self._session, params, min(limit, PREFIX_WORDS))
        return {item["SK"] for item in items}

    async def _one_typo_away(self, scope: str, word: str) -> set[str]:
        """The words listed under the word's variants: every word one typo from it."""
        partitions = [variant_partition(scope, v) for v in variants(word)][:MAX_VARIANTS]
        reads = await asyncio.gather(
            *(query_items(self._session, _partition_query(p), VARIANT_WORDS) for p in partitions)
        )
        return {item["SK"] for items, _ in reads for item in items}

    async def _documents(self, patient_ids: Sequence[str]) -> dict[str, SearchDocument]:
        found = await self._get_many([document_key(p) for p in patient_ids])
        return {document_of(item).patient_id: document_of(item) for item in found.values()}

    async def _get_many(self, keys: Sequence[Key]) -> dict[Key, Item]:
        """The items there are of these keys, read 100 at a time, all at once."""
        chunks = [keys[start : start + _BATCH_GET] for start in range(0, len(keys), _BATCH_GET)]
        found: dict[Key, Item] = {}
        for got in await asyncio.gather(*(self._session.get_many(chunk) for chunk in chunks)):
            found.update({key: item for key, item in got.items() if item is not None})
        return found


def _partition_query(partition: str) -> dict[str, Any]:
    return {
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": to_wire({":pk": partition}),
    }
