"""The patient search index's items (docs/dynamodb.md, "patient search").

Every partition of the index belongs to one scope: a country, or every country (`*`, what
an admin searching without a country reads). In each, a word is listed in the partition
of its leading trigram (its first two letters behind `_`, as pg_trgm pads it), sorted,
where a prefix finds it, and in the partitions of its one-deletion variants, where a word
one typo away finds it; a term's postings list the active patients that hold it in
patient-id order. Each patient's document item says what it was last indexed with, so the
next `put` knows which postings went stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from carehub.adapters.dynamodb.items import Item, Key
from carehub.patients.search import MIN_TYPO_WORD, SearchDocument

WORD_KIND = "search-word"
TERM_KIND = "search-term"
DOCUMENT_KIND = "search-document"
KINDS = (WORD_KIND, TERM_KIND, DOCUMENT_KIND)
# The scope of every country (country ids are ISO codes: never this).
EVERY_COUNTRY = "*"
# The padding of an edge trigram: indexed words hold only [a-z0-9].
PAD = "_"


def scopes(country_id: str) -> tuple[str, str]:
    """The scopes a patient of this country is indexed in."""
    return (country_id, EVERY_COUNTRY)


def front_partition(scope: str, word: str) -> str:
    """Where the words starting with `word`'s first two letters are, sorted."""
    return f"SEARCH_GRAM#{scope}#{PAD}{word[:2]}"


def variant_partition(scope: str, variant: str) -> str:
    """Where the words are that are `variant`, or `variant` with one letter more: at most
    36 × (len + 1) + 1 words whatever the data, so one short read finds them."""
    return f"SEARCH_VARIANT#{scope}#{variant}"


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


def term_partition(scope: str, term: str) -> str:
    return f"SEARCH_TERM#{scope}#{term}"


def document_key(patient_id: str) -> Key:
    return (f"SEARCH_DOC#{patient_id}", "TERMS")


def front_key(scope: str, word: str) -> Key:
    return (front_partition(scope, word), word)


def word_item(key: Key) -> Item:
    return {"PK": key[0], "SK": key[1], "kind": WORD_KIND}


def variant_items(scope: str, words: Iterable[str]) -> list[Item]:
    """The items that list these words under their variants."""
    return [
        word_item((variant_partition(scope, variant), word))
        for word in words
        for variant in variants(word)
    ]


def posting_item(key: Key) -> Item:
    return {"PK": key[0], "SK": key[1], "kind": TERM_KIND}


def postings(document: SearchDocument) -> set[Key]:
    """The postings an indexed document has: one per term and scope, none when it is
    inactive (an inactive patient is never ranked, and costs no read)."""
    if not document.active:
        return set()
    return {
        (term_partition(scope, term), document.patient_id)
        for scope in scopes(document.country_id)
        for term in document.terms()
    }


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
