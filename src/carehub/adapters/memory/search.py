"""The patient search index in memory (`carehub.patients.ports.PatientSearchIndex`): every
document scanned, which a fake can afford."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from carehub.adapters.memory.store import MemoryStore
from carehub.patients.search import SearchDocument, rank, trigrams


class MemorySearchIndex:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def put(self, documents: Sequence[SearchDocument]) -> None:
        for document in documents:
            self._store.search_documents[document.patient_id] = document

    async def similar_words(self, word: str, *, country_id: str | None, limit: int) -> list[str]:
        vocabulary = {
            w
            for d in self._store.search_documents.values()
            if country_id is None or d.country_id == country_id
            for w in d.words
        }
        grams = set(trigrams(word))
        shared = {w: len(grams.intersection(trigrams(w))) for w in vocabulary}
        similar = sorted((w for w, n in shared.items() if n), key=lambda w: (-shared[w], w))
        prefixed = sorted(w for w in vocabulary if w.startswith(word))
        return list(dict.fromkeys([*similar[:limit], *prefixed[:limit]]))

    async def ranked(
        self,
        groups: Sequence[Mapping[str, int]],
        *,
        country_id: str | None,
        care_of: str | None,
        limit: int,
    ) -> list[tuple[str, int]]:
        if not groups:
            return []
        found: list[tuple[str, int]] = []
        for d in self._store.search_documents.values():
            if not d.active or (country_id is not None and d.country_id != country_id):
                continue
            if care_of is not None and (care_of, d.patient_id) not in self._store.care:
                continue
            score = rank(groups, d.terms())
            if score is not None:
                found.append((d.patient_id, score))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:limit]

    async def clear(self) -> None:
        self._store.search_documents.clear()
