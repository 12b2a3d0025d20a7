"""Patient search: what a patient is found by, what a query asks, and how a match scores.

Pure rules, shared by every store: a store keeps each patient's words and exact-match keys
(`SearchDocument`) and answers two questions (which indexed words look like a query word,
and which patients hold a term of every group); this module decides which of the words it
got back match (exactly, by prefix, or with one typo) and what each weighs, so the ranking
is the same on every store and for a patient searching their own record in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.text import fold, tokens
from carehub.patients.model import Patient

MIN_QUERY = 2
MAX_QUERY = 200
MAX_WORDS = 8
MIN_WORD, MAX_WORD = 2, 40
# Longer keys (an unusual identifier or email) are kept to this many characters.
MAX_KEY = 250
# A phone number is found by any suffix of its digits at least this long, so "+51 987
# 654 321", "987654321" and "(51) 987-654-321" meet on the same key.
MIN_PHONE_DIGITS = 7
# One typo is forgiven only in words this long: shorter words are too close to others.
MIN_TYPO_WORD = 5

EXACT, PREFIX, ONE_EDIT, KEY = 3, 2, 1, 100
# At most this many results are ranked for one query (every page of it).
MAX_RESULTS = 200
MAX_PAGE, DEFAULT_PAGE = 50, 20

_NOT_WORD = re.compile(r"[^a-z0-9]")
_PHONE_SHAPE = re.compile(r"\+?[0-9 ()./-]+")
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class SearchDocument:
    """What one patient is found by: folded words and `kind:value` exact-match keys."""

    patient_id: str
    country_id: str
    active: bool
    words: tuple[str, ...]
    keys: tuple[str, ...]

    def terms(self) -> tuple[str, ...]:
        """Every indexed term: the words, then the keys (a key holds a ':', no word does)."""
        return (*self.words, *self.keys)


def document_of(patient: Patient) -> SearchDocument:
    """The search document of a patient record."""
    d = patient.details
    texts: list[str] = [d.name.text, *d.name.given, d.name.family or ""]
    if d.address is not None:
        a = d.address
        texts += [a.text or "", *a.lines, a.city or "", a.district or "", a.state or ""]
        texts += [a.postal_code or ""]
    for entry in d.conditions:
        texts += sorted(entry.search_terms())
        if entry.code:  # "E11.9" is found as "e11", and as a whole, "e119"
            texts.append(_NOT_WORD.sub("", fold(entry.code)))
    words = _words(texts)
    keys = [f"mrn:{fold(patient.mrn)}"]
    keys += [f"id:{fold(i.value)}" for i in d.identifiers]
    if d.email:
        keys.append(f"email:{fold(d.email)}")
    if d.phone:
        digits = _digits(d.phone)
        keys += [f"tel:{digits[i:]}" for i in range(len(digits) - MIN_PHONE_DIGITS + 1)]
    return SearchDocument(
        patient_id=patient.id,
        country_id=patient.country_id,
        active=patient.active,
        words=words,
        keys=_keys(keys),
    )


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: its words (the last one may be a prefix, as the user is still typing),
    the exact keys the whole text could be, and whether it looks like contact data (which
    the audit entry must not keep)."""

    words: tuple[str, ...]
    keys: tuple[str, ...]
    looks_like_contact: bool

    @classmethod
    def parse(cls, q: str) -> SearchQuery:
        """Parse what the user typed; Invalid when too short, too long or of too many words."""
        if len(q) > MAX_QUERY:
            raise _invalid(f"at most {MAX_QUERY} characters")
        folded = fold(q)
        if len(folded) < MIN_QUERY:
            raise _invalid(f"at least {MIN_QUERY} characters")
        words = _words([folded])
        if len(tokens(folded)) > MAX_WORDS:
            raise _invalid(f"at most {MAX_WORDS} words")
        keys = [f"mrn:{folded}", f"id:{folded}"]
        digits = _digits(folded).lstrip("0")
        phone = _PHONE_SHAPE.fullmatch(folded) is not None and len(digits) >= MIN_PHONE_DIGITS
        if phone:
            keys.append(f"tel:{digits}")
        email = _EMAIL_SHAPE.fullmatch(folded) is not None
        if email:
            keys.append(f"email:{folded}")
        contact = email or phone
        return cls(words=words, keys=_keys(keys), looks_like_contact=contact)

    def word_groups(self, candidates: Sequence[Iterable[str]]) -> list[dict[str, int]] | None:
        """One group per query word: the candidate words it matches, with their weights.

        `candidates[i]` is what the store offered for word i (`similar_words`). None when a
        word matches nothing, or the query has no words: then no patient matches every one.
        """
        groups: list[dict[str, int]] = []
        for index, word in enumerate(self.words):
            last = index == len(self.words) - 1
            group = {w: s for w in {word, *candidates[index]} if (s := word_weight(word, w, last))}
            if not group:
                return None
            groups.append(group)
        return groups or None

    def key_group(self) -> dict[str, int]:
        """The key terms of the query, each weighing KEY."""
        return dict.fromkeys(self.keys, KEY)

    def score(self, document: SearchDocument) -> int | None:
        """The document's score for this query, None when it does not match (what a store's
        `ranked` computes, for one record in memory)."""
        key = KEY if set(self.keys) & set(document.keys) else 0
        total = 0
        for index, word in enumerate(self.words):
            last = index == len(self.words) - 1
            best = max((word_weight(word, w, last) for w in document.words), default=0)
            if not best:
                return key or None
            total += best
        return key + total if self.words or key else None


def word_weight(query_word: str, word: str, last: bool) -> int:
    """How well an indexed word matches a query word: EXACT, PREFIX (the last query word
    only, as it is being typed), ONE_EDIT (one typo, in words of MIN_TYPO_WORD letters or
    more), or 0."""
    if word == query_word:
        return EXACT
    if last and len(query_word) >= MIN_WORD and word.startswith(query_word):
        return PREFIX
    if max(len(word), len(query_word)) >= MIN_TYPO_WORD and one_edit(query_word, word):
        return ONE_EDIT
    return 0


def one_edit(a: str, b: str) -> bool:
    """Whether two different words are one substitution, insertion, deletion or swap of
    adjacent letters apart (optimal string alignment distance 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        if a[start + 1 :] == b[start + 1 :]:
            return True
        return (
            a[start : start + 2] == b[start : start + 2][::-1] and a[start + 2 :] == b[start + 2 :]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return shorter[start:] == longer[start + 1 :]


def trigrams(word: str) -> list[str]:
    """The word's trigrams, padded as pg_trgm pads them ("  w", " wo", ..., "rd "), so that
    one typo anywhere in a word of MIN_TYPO_WORD letters leaves some trigram shared."""
    padded = f"  {word} "
    return list(dict.fromkeys(padded[i : i + 3] for i in range(len(padded) - 2)))


def ranked_page(
    found: Sequence[tuple[str, int]], offset: int, limit: int
) -> tuple[list[str], int | None]:
    """The ids of one page of a ranked list, and the offset of the next page (None: last)."""
    found = list(found)[:MAX_RESULTS]
    ids = [patient_id for patient_id, _ in found[offset : offset + limit]]
    after = offset + limit
    return ids, after if after < len(found) else None


def merge_ranked(*lists: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Several ranked lists as one: a patient in more than one gets the sum of its scores
    (a key match plus its words), ranked by score, then id."""
    scores: dict[str, int] = {}
    for found in lists:
        for patient_id, score in found:
            scores[patient_id] = scores.get(patient_id, 0) + score
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def rank(groups: Sequence[Mapping[str, int]], terms: Iterable[str]) -> int | None:
    """A holder of `terms`' score over the groups (the best weight it holds in each,
    summed), or None when it holds no term of some group: `ranked` for one record."""
    held = set(terms)
    total = 0
    for group in groups:
        best = max((weight for term, weight in group.items() if term in held), default=0)
        if not best:
            return None
        total += best
    return total


def _words(texts: Iterable[str]) -> tuple[str, ...]:
    """Folded words of MIN_WORD..MAX_WORD letters and digits, each once (a one-letter word
    says too little to search by)."""
    found: dict[str, None] = {}
    for text in texts:
        for token in tokens(text):
            word = _NOT_WORD.sub("", token)
            if MIN_WORD <= len(word) <= MAX_WORD:
                found[word] = None
    return tuple(found)


def _keys(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key[:MAX_KEY] for key in keys))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _invalid(message: str) -> Invalid:
    return Invalid(f"q must have {message}", errors=[FieldError("q", message)])
