"""The search rules: what a patient is found by, what a query asks (and refuses), one typo
as optimal string alignment distance 1, the weights, and ranked pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carehub.kernel.errors import Invalid
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientDetails,
)
from carehub.patients.search import (
    EXACT,
    KEY,
    ONE_EDIT,
    PREFIX,
    SearchQuery,
    document_of,
    merge_ranked,
    one_edit,
    ranked_page,
    trigrams,
    word_weight,
)

AT = datetime(2030, 1, 1, tzinfo=UTC)


def patient(**fields: object) -> Patient:
    details = PatientDetails(
        name=HumanName.from_parts(("José", "Luis"), "Pérez-Quispe de la Cruz"),
        email="JL.Perez@Example.org",
        phone="+51 (987) 654-321",
        address=Address(lines=("Av. Arequipa 1234",), city="Lima", district="Miraflores"),
        identifiers=(Identifier("urn:pe:dni", "40123456"),),
        conditions=(CodedEntry(code="E11.9", display="Diabetes mellitus type 2"),),
    )
    values: dict[str, object] = {
        "id": "p-1",
        "mrn": "0000001",
        "country_id": "PE",
        "details": details,
        "created_at": AT,
        "updated_at": AT,
        **fields,
    }
    return Patient(**values)  # type: ignore[arg-type]


def test_a_document_holds_folded_words_and_exact_keys() -> None:
    document = document_of(patient())
    assert {"jose", "luis", "perez", "quispe", "de", "la", "cruz"} <= set(document.words)
    assert {"arequipa", "1234", "lima", "miraflores", "diabetes", "mellitus", "e119"} <= set(
        document.words
    )
    assert "type" in document.words and "2" not in document.words  # one letter says nothing
    assert len(document.words) == len(set(document.words))
    keys = set(document.keys)
    assert {"mrn:0000001", "id:40123456", "email:jl.perez@example.org"} <= keys
    # Every suffix of the phone's digits of 7 or more.
    assert {"tel:51987654321", "tel:987654321", "tel:7654321"} <= keys
    assert "tel:654321" not in keys
    assert document.active and document.country_id == "PE"
    assert not document_of(patient(active=False)).active


@pytest.mark.parametrize(
    "typed", ["987654321", "+51 987 654 321", "(51) 987-654-321", "0987654321"]
)
def test_phone_numbers_meet_whatever_their_format(typed: str) -> None:
    query = SearchQuery.parse(typed)
    assert query.looks_like_contact
    assert set(query.keys) & set(document_of(patient()).keys)


def test_a_query_has_words_keys_and_a_contact_shape() -> None:
    query = SearchQuery.parse("  JOSÉ   Pérez-Q ")
    assert query.words == ("jose", "perez")  # a one-letter word is dropped
    assert "mrn:jose perez-q" in query.keys and not query.looks_like_contact
    email = SearchQuery.parse("JL.Perez@Example.org")
    assert "email:jl.perez@example.org" in email.keys and email.looks_like_contact
    assert not SearchQuery.parse("0000001").looks_like_contact  # too short for a phone
    assert SearchQuery.parse("0000001").score(document_of(patient())) == KEY


@pytest.mark.parametrize("q", ["", "a", " é ", "x" * 201, "a b c d e f g h i", "ab " * 9])
def test_short_long_and_wordy_queries_are_invalid(q: str) -> None:
    with pytest.raises(Invalid) as refused:
        SearchQuery.parse(q)
    assert refused.value.errors[0].field == "q"


def test_weights() -> None:
    assert word_weight("garcia", "garcia", last=False) == EXACT
    assert word_weight("gar", "garcia", last=True) == PREFIX
    assert word_weight("gar", "garcia", last=False) == 0
    assert word_weight("g", "garcia", last=True) == 0
    assert word_weight("gracia", "garcia", last=False) == ONE_EDIT
    assert word_weight("ana", "ane", last=False) == 0  # typos only in words of 5 or more
    assert word_weight("anas", "ana", last=False) == 0
    assert word_weight("ramos", "ramo", last=False) == ONE_EDIT


def test_score_needs_every_word_or_a_key() -> None:
    document = document_of(patient())
    assert SearchQuery.parse("jose perez").score(document) == 2 * EXACT
    assert SearchQuery.parse("jose pere").score(document) == EXACT + PREFIX
    assert SearchQuery.parse("jose prez").score(document) == EXACT + ONE_EDIT
    assert SearchQuery.parse("jose garcia").score(document) is None
    assert SearchQuery.parse("40123456").score(document) == KEY


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance, by the textbook table."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


WORDS = st.text(alphabet="abcde", max_size=7)


@given(WORDS, WORDS)
def test_one_edit_is_osa_distance_one(a: str, b: str) -> None:
    assert one_edit(a, b) == (osa(a, b) == 1)


@given(st.text(alphabet="abcdefgh", min_size=5, max_size=12), st.data())
def test_one_edit_in_a_long_word_leaves_a_trigram_shared(word: str, data: st.DataObject) -> None:
    other = data.draw(st.text(alphabet="abcdefghx", min_size=4, max_size=13))
    if one_edit(word, other):
        assert set(trigrams(word)) & set(trigrams(other))


def test_pages_of_a_ranked_list() -> None:
    ranked = merge_ranked([("b", 100), ("c", 100)], [("a", 6), ("b", 6), ("d", 3)])
    assert ranked == [("b", 106), ("c", 100), ("a", 6), ("d", 3)]
    assert ranked_page(ranked, 0, 3) == (["b", "c", "a"], 3)
    assert ranked_page(ranked, 3, 3) == (["d"], None)
    many = [(f"p{n:03d}", 1) for n in range(300)]
    assert ranked_page(many, 190, 20) == ([f"p{n:03d}" for n in range(190, 200)], None)
