"""The patient search index's items (docs/dynamodb.md, "patient search").

Every partition of the index is one country's: a word is listed in the partition of its
leading trigram (its first two letters behind `_`, as pg_trgm pads it), sorted, where a
prefix finds it, and in the partition of each of its one-deletion variants, where a word
one typo away finds it; a term's postings list the active patients that hold it in
patient-id order; and each patient's document item says what it was last indexed with, so
the next `put` knows which postings went stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from carehub.adapters.dynamodb.items import Item, Key
from carehub.patients.search import MIN_TYPO_WORD, SearchDocument

WORD_KIND = "search-word"
TERM_KIND = "search-term"
DOCUMENT_KIND = "search-document"
COUNTRY_KIND = "search-country"
KINDS = (WORD_KIND, TERM_KIND, DOCUMENT_KIND, COUNTRY_KIND)
COUNTRIES = "SEARCH_COUNTRIES"
# The padding of an edge trigram: indexed words hold only [a-z0-9].
PAD = "_"


def front_partition(country_id: str, word: str) -> str:
    """Where the words starting with `word`'s first two letters are, sorted."""
    return f"SEARCH_GRAM#{country_id}#{PAD}{word[:2]}"


def variant_partition(country_id: str, variant: str) -> str:
    """Where the words are that have `variant` as themselves or with one letter deleted:
    at most 26 × (len + 1) + 1 words whatever the data, so one read finds them all."""
    return f"SEARCH_VARIANT#{country_id}#{variant}"


def variants(word: str) -> list[str]:
    """The partitions a word is listed in for typos: itself from MIN_TYPO_WORD - 1 letters
    (a word one letter longer may be it with an extra letter), and its one-deletion
    variants from MIN_TYPO_WORD (two words one typo apart share one: a substitution or a
    swap deletes to the same word, an extra letter deletes to the other word)."""
    if len(word) < MIN_TYPO_WORD - 1:
        return []
    if len(word) < MIN_TYPO_WORD:
        return [word]
    return list(dict.fromkeys([word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]))


def term_partition(country_id: str, term: str) -> str:
    return f"SEARCH_TERM#{country_id}#{term}"


def document_key(patient_id: str) -> Key:
    return (f"SEARCH_DOC#{patient_id}", "TERMS")


def word_items(country_id: str, words: Iterable[str]) -> list[Item]:
    """The vocabulary items of these words: in their leading trigram's partition, and in
    each of their variants' partitions."""
    items: list[Item] = []
    for word in words:
        items.append({"PK": front_partition(country_id, word), "SK": word, "kind": WORD_KIND})
        for variant in variants(word):
            pk = variant_partition(country_id, variant)
            items.append({"PK": pk, "SK": word, "kind": WORD_KIND})
    return items


def posting_key(country_id: str, term: str, patient_id: str) -> Key:
    return (term_partition(country_id, term), patient_id)


def posting_item(key: Key) -> Item:
    return {"PK": key[0], "SK": key[1], "kind": TERM_KIND}


def postings(document: SearchDocument) -> set[Key]:
    """The postings an indexed document has: one per term, none when it is inactive (an
    inactive patient is never ranked, and costs no read)."""
    if not document.active:
        return set()
    country, patient_id = document.country_id, document.patient_id
    return {posting_key(country, term, patient_id) for term in document.terms()}


def document_item(document: SearchDocument) -> Item:
    return {
        "PK": document_key(document.patient_id)[0],
        "SK": document_key(document.patient_id)[1],
        "kind": DOCUMENT_KIND,
        "country_id": document.country_id,
        "active": document.active,
        "words": list(document.words),
        "keys": list(document.keys),
    }


def document_of(item: Item) -> SearchDocument:
    return SearchDocument(
        patient_id=item["PK"].removeprefix("SEARCH_DOC#"),
        country_id=item["country_id"],
        active=bool(item["active"]),
        words=tuple(item["words"]),
        keys=tuple(item["keys"]),
    )


def country_item(country_id: str) -> Item:
    return {"PK": COUNTRIES, "SK": country_id, "kind": COUNTRY_KIND}
