"""Patient search use cases: finding patients by what was typed in one box, and keeping the
search index in step with the records (the event consumer, a reindex, bulk imports).

The index only proposes: a page's patients are read again from their records, checked
against the actor's scope and the query, and rendered as they are now, so an index that
lags behind the records never shows stale or out-of-scope data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Forbidden, Invalid
from carehub.kernel.pagination import Page, cursor_position, encode_cursor
from carehub.patients.model import Patient, check_country_id
from carehub.patients.ports import PatientFilter, PatientSearchUnitOfWork
from carehub.patients.search import (
    MAX_PAGE,
    MAX_RESULTS,
    SearchQuery,
    document_of,
    merge_ranked,
    ranked_page,
)

SEARCH = "patient.search"
REINDEX = "patient.reindex"
# How many similar words the index offers per query word (and as many completions).
SIMILAR_WORDS = 50
REINDEX_BATCH = 500
# The audit entry keeps the query (folded) in its resource id, which holds this much.
_AUDITED_QUERY = 120
CONTACT_SHAPED = "contact-shaped query"

Progress = Callable[[int], None]


class PatientSearchService:
    """Finding patients by names, MRN, identifiers, phone, email, address and conditions."""

    def __init__(self, uow_factory: Callable[[], PatientSearchUnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._gate = AccessGate(clock, "patient")

    async def find(
        self,
        *,
        actor: Actor,
        q: str,
        country_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Patient]:
        """Active patients matching the query within the actor's scope, best first."""
        query = SearchQuery.parse(q)
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(
                f"limit must be between 1 and {MAX_PAGE}",
                errors=[FieldError("limit", f"must be between 1 and {MAX_PAGE}")],
            )
        offset = 0 if cursor is None else cursor_position(cursor, "o", int)
        if not 0 <= offset < MAX_RESULTS:
            raise Invalid("cursor is not valid", errors=[FieldError("cursor", "is not valid")])
        if country_id is not None:
            check_country_id(country_id)
        scope = _scope(actor, country_id)
        async with self._uow() as uow:
            found: list[Patient] = []
            next_offset: int | None = None
            if scope is not None:
                ranked = await _ranked(uow, query, scope)
                ids, next_offset = ranked_page(ranked, offset, limit)
                for patient_id in ids:
                    patient = await uow.patients.get(patient_id)
                    if patient is not None and await _still_found(uow, query, scope, patient):
                        found.append(patient)
            entry = self._gate.listed(actor, SEARCH, tuple(p.id for p in found))
            uow.audit(replace(entry, resource_id=_audited(query)))
            await uow.commit()
        next_cursor = None if next_offset is None else encode_cursor({"o": next_offset})
        return Page(found, next_cursor)

    async def reindex(
        self, *, actor: Actor, clear: bool = True, progress: Progress | None = None
    ) -> int:
        """Put every patient's document again, in batches (after forgetting every entry
        when `clear`); returns how many. Operators only. A change meanwhile is put by the
        consumer and by the reindex alike: the later put wins, and both read the record."""
        if not actor.unrestricted:
            raise Forbidden("Only operators rebuild the search index")
        async with self._uow() as uow:
            if clear:
                await uow.search_index.clear()
            uow.audit(self._gate.record(actor, REINDEX, None, None))
            await uow.commit()
        done = 0
        cursor: str | None = None
        every = PatientFilter(include_inactive=True)
        while True:
            async with self._uow() as uow:
                batch = await uow.patients.search(every, cursor=cursor, limit=REINDEX_BATCH)
                await uow.search_index.put([document_of(p) for p in batch.items])
                await uow.commit()
            done += len(batch.items)
            if progress is not None:
                progress(done)
            if batch.next_cursor is None:
                return done
            cursor = batch.next_cursor


async def index_patient(uow: PatientSearchUnitOfWork, patient_id: str) -> None:
    """Put the current record's document (a deactivated one too: it is kept, never
    ranked); nothing when the record is gone."""
    patient = await uow.patients.get(patient_id)
    if patient is not None:
        await uow.search_index.put([document_of(patient)])


@dataclass(frozen=True, kw_only=True, slots=True)
class _Scope:
    """What the actor may find: one record, a country, a care team, or everyone."""

    country_id: str | None = None
    care_of: str | None = None
    patient_id: str | None = None


def _scope(actor: Actor, country_id: str | None) -> _Scope | None:
    """The actor's reach, narrowed to `country_id`; None when they may find nobody. Staff
    asking for another country are refused, as the list route refuses them."""
    if actor.unrestricted:
        return _Scope(country_id=country_id)
    if actor.role is Role.PATIENT and actor.patient_id:
        return _Scope(country_id=country_id, patient_id=actor.patient_id)
    if actor.role is Role.STAFF and actor.country_id:
        if country_id not in (None, actor.country_id):
            raise Forbidden(f"You can search patients only in your country ({actor.country_id})")
        return _Scope(country_id=actor.country_id)
    if actor.role is Role.DOCTOR and actor.practitioner_id:
        return _Scope(country_id=country_id, care_of=actor.practitioner_id)
    return None


async def _ranked(
    uow: PatientSearchUnitOfWork, query: SearchQuery, scope: _Scope
) -> Sequence[tuple[str, int]]:
    if scope.patient_id is not None:
        # One's own record: scored in memory, with the same rules, no index needed.
        own = await uow.patients.get(scope.patient_id)
        score = None if own is None else query.score(document_of(own))
        return [] if score is None else [(scope.patient_id, score)]
    index = uow.search_index

    async def ranked(groups: Sequence[Mapping[str, int]]) -> list[tuple[str, int]]:
        return await index.ranked(
            groups, country_id=scope.country_id, care_of=scope.care_of, limit=MAX_RESULTS
        )

    by_key = await ranked([query.key_group()])
    offered = [
        await index.similar_words(w, country_id=scope.country_id, limit=SIMILAR_WORDS)
        for w in query.words
    ]
    groups = query.word_groups(offered)
    by_words = [] if groups is None else await ranked(groups)
    return merge_ranked(by_key, by_words)


async def _still_found(
    uow: PatientSearchUnitOfWork, query: SearchQuery, scope: _Scope, patient: Patient
) -> bool:
    """Whether the current record is active, in scope and matches (the index may lag)."""
    if not patient.active or query.score(document_of(patient)) is None:
        return False
    if scope.country_id is not None and patient.country_id != scope.country_id:
        return False
    if scope.patient_id is not None and patient.id != scope.patient_id:
        return False
    return scope.care_of is None or await uow.patients.in_care_of(scope.care_of, patient.id)


def _audited(query: SearchQuery) -> str:
    """What the audit entry keeps of the query: its folded words, or only that it looked
    like contact data (a phone number or an email address is not kept)."""
    if query.looks_like_contact:
        return CONTACT_SHAPED
    return "q:" + " ".join(query.words)[:_AUDITED_QUERY]
