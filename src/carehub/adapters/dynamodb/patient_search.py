"""The patient list on DynamoDB: one index partition, chosen by the most selective
criterion, read in id order; every other criterion is checked on the candidates it gives
(docs/dynamodb.md, "patients")."""

from __future__ import annotations

from collections.abc import AsyncIterator

from carehub.adapters.dynamodb.items import Item
from carehub.adapters.dynamodb.pages import index_items, prefix_items
from carehub.adapters.dynamodb.patient_items import (
    ALL_PATIENTS,
    RECORD,
    by_birth_date,
    by_city,
    by_country,
    by_word,
    care_key,
    identifier_guard,
    patient_from_item,
    patient_key,
)
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.patients.model import Patient
from carehub.patients.ports import PatientFilter

# Candidates read per request at most: a criterion the index does not serve (an address
# substring alone) cannot make one request read the whole table; the page then comes back
# short, with a cursor, as a DynamoDB page does.
READ_BUDGET = 2000
# Items per Query after the first, which asks for one page and one more: a Query pays for
# every item it reads (a page of 20 patients read in a batch of 100 cost 5 times its read
# units), and later batches are only needed when criteria turn candidates down.
_BATCH = 100


async def search_patients(
    session: DynamoSession, criteria: PatientFilter, *, cursor: str | None, limit: int
) -> Page[Patient]:
    """Patients matching every criterion, in id order, after the cursor's id."""
    after = "" if cursor is None else cursor_position(cursor, "after", str)
    own = {pk.removeprefix("PATIENT#"): item for pk, item in session.writes.written(RECORD).items()}
    found: list[Patient] = []
    read = 0
    last_read = after
    cut_short = False
    async for patient_id, item in _candidates(session, criteria, after, first=limit + 1):
        if read >= READ_BUDGET:
            cut_short = True
            break
        read += 1
        last_read = patient_id
        if patient_id in own:
            continue  # this unit's own version is laid over below
        if item is None:
            item = await session.get(patient_key(patient_id))
        if item is not None and await _admits(session, criteria, patient_from_item(item)):
            found.append(patient_from_item(item))
            if len(found) > limit:
                break  # before asking for another candidate, which may cost a Query
    for patient_id, item in own.items():
        if item is None or patient_id <= after or (cut_short and patient_id > last_read):
            continue
        patient = patient_from_item(item)
        if await _admits(session, criteria, patient):
            found.append(patient)
    found.sort(key=lambda p: p.id)
    page = found[:limit]
    if len(found) > limit:
        return Page(page, encode_cursor({"after": page[-1].id}))
    if cut_short:
        return Page(page, encode_cursor({"after": last_read}))
    return Page(page, None)


async def _admits(session: DynamoSession, criteria: PatientFilter, patient: Patient) -> bool:
    if not criteria.matches(patient):
        return False
    if criteria.care_of is None:
        return True
    return await session.get(care_key(criteria.care_of, patient.id)) is not None


async def _candidates(
    session: DynamoSession, c: PatientFilter, after: str, *, first: int
) -> AsyncIterator[tuple[str, Item | None]]:
    """(patient id, its item when the index carried it) in id order, after `after`; an
    index partition is read `first` items first."""
    if c.patient_id is not None or c.identifier is not None:
        patient_id = c.patient_id
        if patient_id is None and c.identifier is not None:
            guard = await session.get(identifier_guard(*c.identifier))
            patient_id = None if guard is None else guard["patient_id"]
        if patient_id is not None and patient_id > after:
            yield patient_id, None
        return
    if c.care_of is not None:
        async for item in _partition(session, "GSI1", f"CARE#{c.care_of}", after, first):
            yield item["patient_id"], None
        return
    if c.condition_prefix is not None or c.name_prefixes:
        async for patient_id in _by_words(session, c, after):
            yield patient_id, None
        return
    if c.birth_date is not None:
        index, partition = "GSI3", by_birth_date(c.birth_date.isoformat())
    elif c.city is not None:
        async for item in _partition(session, "GSI1", by_city(c.city), after, first):
            yield item["patient_id"], None
        return
    elif c.country_id is not None:
        index, partition = "GSI2", by_country(c.country_id)
    else:
        index, partition = "GSI1", ALL_PATIENTS
    async for item in _partition(session, index, partition, after, first):
        yield item["GSI1SK" if index == "GSI1" else f"{index}SK"], item


async def _partition(
    session: DynamoSession, index: str, partition: str, after: str, first: int
) -> AsyncIterator[Item]:
    last, batch = after, min(first, _BATCH)
    while True:
        items = await index_items(session, index, partition, after=last, limit=batch)
        for item in items:
            yield item
        if len(items) < batch:
            return
        last, batch = items[-1][f"{index}SK"], _BATCH


async def _by_words(session: DynamoSession, c: PatientFilter, after: str) -> AsyncIterator[str]:
    """The patients whose condition terms or name words start with the criterion's prefix
    (the longest name prefix: the fewest words), in id order. A prefix's words are read
    whole, then merged by id, as SQL's name path merges its tokens' ids."""
    if c.condition_prefix is not None:
        field, prefix = "TERM", c.condition_prefix
    else:
        field, prefix = "NAME", max(c.name_prefixes, key=len)
    if not prefix:
        return
    items = await prefix_items(session, "GSI1", by_word(field, prefix), prefix)
    for patient_id in sorted({item["patient_id"] for item in items}):
        if patient_id > after:
            yield patient_id
