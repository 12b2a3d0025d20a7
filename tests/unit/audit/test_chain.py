"""The sharded hash chain and its verification: each shard chains from its own genesis,
entries written before sharding keep their hashes, and cross-links catch what one shard
alone cannot show (a removed tail, a shard rewritten and hashed again)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from carehub.audit.model import (
    GENESIS_HASH,
    AuditEntry,
    ChainHead,
    TrailPosition,
    chain,
    empty_chain,
)
from carehub.audit.verification import TrailVerifier, Verification
from carehub.kernel.actor import Actor, Role
from carehub.kernel.audit import AccessRecord
from carehub.kernel.errors import Invalid
from carehub.kernel.pagination import encode_cursor

T0 = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)
DOCTOR = Actor("doc-1", Role.DOCTOR, request_id="req-1", client_address="203.0.113.7")


def reads(count: int, *, start: int = 0) -> list[AccessRecord]:
    return [
        AccessRecord(
            actor=DOCTOR,
            action="patient.read",
            resource_type="patient",
            resource_id=f"p-{n}",
            patient_ids=(f"p-{n}",),
            at=T0 + timedelta(seconds=n),
        )
        for n in range(start, start + count)
    ]


Trail = dict[int, list[AuditEntry]]


def two_linked_shards() -> Trail:
    """Shard 0: six entries. Shard 1: three entries, then three more whose first names
    shard 0's entry 6 (the writer left it for shard 1); shard 2 names shard 1's entry 6."""
    zero = chain(reads(6), empty_chain(0))
    one = chain(reads(3, start=10), empty_chain(1))
    one += chain(reads(3, start=13), one[-1].head, links=[zero[-1].head])
    two = chain(reads(2, start=20), empty_chain(2), links=[one[-1].head, zero[2].head])
    return {0: zero, 1: one, 2: two}


def verify(trail: Trail, heads: dict[int, ChainHead] | None = None) -> Verification:
    """What `AuditService.verify` does, over lists: every shard in order, then the links
    that named entries read before them."""
    verifier = TrailVerifier()
    shards = sorted(trail)
    while shards:
        for shard in shards:
            verifier.start(shard)
            if all(verifier.feed(shard, entry) for entry in trail.get(shard, [])):
                verifier.finish(shard, (heads or {}).get(shard))
        shards = verifier.unstarted()
    for shard, seq in verifier.lookups():
        found = [e for e in trail[shard] if e.seq == seq]
        verifier.found(shard, seq, found[0] if found else None)
    return verifier.result()


def problems(result: Verification) -> dict[int, tuple[int | None, str | None]]:
    return {s.shard: (s.first_bad_seq, s.problem) for s in result.shards if not s.intact}


def test_an_entry_written_before_the_trail_was_sharded_keeps_its_hash() -> None:
    [entry] = chain(reads(1), empty_chain(0))
    # The hash carehub gave single-chain entries: the previous hash, a newline, and the
    # eleven fields as a JSON list.
    fields = [
        1,
        entry.at.isoformat(),
        "doc-1",
        "doctor",
        "patient.read",
        "patient",
        "p-0",
        ["p-0"],
        "allowed",
        "req-1",
        "203.0.113.7",
    ]
    before = hashlib.sha256(GENESIS_HASH.encode() + b"\n" + orjson.dumps(fields)).hexdigest()
    assert entry.hash == before == entry.content_hash()


def test_each_shard_chains_from_its_own_genesis_and_its_hashes_cover_the_shard() -> None:
    zero = chain(reads(2), empty_chain(0))
    three = chain(reads(2), empty_chain(3))
    assert [(e.shard, e.seq) for e in three] == [(3, 1), (3, 2)]
    assert three[0].prev_hash == zero[0].prev_hash == GENESIS_HASH
    assert three[1].prev_hash == three[0].hash
    assert {e.hash for e in zero}.isdisjoint(e.hash for e in three)


def test_only_the_first_entry_of_an_append_names_the_links_and_never_its_own_shard() -> None:
    other, own = ChainHead(4, 9, "a" * 64), ChainHead(1, 2, "b" * 64)
    entries = chain(reads(3), empty_chain(1), links=[other, own])
    assert [e.links for e in entries] == [(other,), (), ()]
    assert entries[0].content_hash() != replace(entries[0], links=()).content_hash()


def test_an_untouched_trail_verifies_shard_by_shard_with_its_links() -> None:
    result = verify(two_linked_shards())
    assert result.intact
    assert [(s.shard, s.checked) for s in result.shards] == [(0, 6), (1, 6), (2, 2)]
    assert (result.checked, result.links) == (14, 3)


@pytest.mark.parametrize("shard", [0, 1, 2])
def test_a_changed_entry_is_named_in_whichever_shard_it_is(shard: int) -> None:
    trail = two_linked_shards()
    trail[shard][1] = replace(trail[shard][1], actor_id="someone-else")
    result = verify(trail)
    assert problems(result) == {shard: (2, "entry 2 was changed")}
    assert (result.first_bad_shard, result.first_bad_seq) == (shard, 2)


def test_a_removed_tail_of_one_shard_is_caught_by_the_link_of_another() -> None:
    trail = two_linked_shards()
    del trail[0][4:]  # entries 5 and 6; no head is stored apart from the entries
    assert problems(verify(trail)) == {
        0: (5, "entries after 4 are missing (shard 1 entry 4 names 6)")
    }


def test_a_stored_head_catches_a_removed_tail_no_link_names() -> None:
    trail = two_linked_shards()
    heads = {shard: entries[-1].head for shard, entries in trail.items()}
    del trail[2][1:]
    assert problems(verify(trail, heads)) == {2: (2, "entries after 1 are missing")}
    assert problems(verify(trail)) == {}  # the newest entries nothing names yet


def test_a_shard_rewritten_and_hashed_again_is_caught_by_the_links_naming_it() -> None:
    trail = two_linked_shards()
    # Someone hides who read entry 5 of shard 0 and recomputes every hash after it.
    hidden = [replace(reads(1, start=4)[0], actor=Actor("someone-else", Role.DOCTOR))]
    trail[0][4:] = chain([*hidden, *reads(1, start=5)], trail[0][3].head)
    assert problems(verify(trail)) == {0: (6, "entry 6 is not the one shard 1 entry 4 names")}


def test_a_link_naming_an_entry_read_before_it_is_checked_by_reading_it_again() -> None:
    trail = two_linked_shards()
    # Shard 2 names shard 0's entry 3, read before shard 2: rewrite that entry's hash
    # and everything after it in shard 0, consistently.
    rest = chain(reads(4, start=102), trail[0][1].head)
    trail[0][2:] = rest
    found = problems(verify(trail))
    assert found[0] == (3, "entry 3 is not the one shard 2 entry 1 names")


def test_an_entry_moved_to_another_shard_breaks_both() -> None:
    trail = two_linked_shards()
    moved = trail[1].pop()  # entry 6 of shard 1, re-homed at the end of shard 2
    trail[2].append(replace(moved, shard=2, seq=3, prev_hash=trail[2][-1].hash))
    found = problems(verify(trail))
    assert found[2] == (3, "entry 3 was changed")
    assert found[1] == (6, "entries after 5 are missing (shard 2 entry 1 names 6)")


def test_an_entry_read_from_another_shard_than_its_own_is_misplaced() -> None:
    trail = two_linked_shards()
    trail[2].append(replace(trail[1][0], seq=3))  # a store that says where it found it
    assert problems(verify(trail))[2] == (3, "entry 3 belongs to shard 1")


def test_a_whole_shard_removed_is_found_through_the_links_naming_it() -> None:
    trail = two_linked_shards()
    del trail[1]
    result = verify(trail)
    assert problems(result)[1] == (1, "entries after 0 are missing (shard 2 entry 1 names 6)")
    assert result.first_bad_shard == 1


def test_trail_positions_order_newest_last_and_round_trip_through_cursors() -> None:
    [a, b] = chain(reads(2), empty_chain(5))
    [c] = chain(reads(1), empty_chain(2))  # the same moment as a, a lower shard
    ordered = sorted([TrailPosition.of(e) for e in (b, a, c)])
    assert ordered == [TrailPosition.of(c), TrailPosition.of(a), TrailPosition.of(b)]
    position = TrailPosition.of(b)
    assert TrailPosition.from_cursor(position.cursor()) == position
    for at in ("not a time", "2031-03-10T08:00:00"):  # the second has no offset
        with pytest.raises(Invalid):
            TrailPosition.from_cursor(encode_cursor({"at": at, "shard": 1, "seq": 1}))
