"""Verifying the audit trail: every shard's chain, and every cross-link between shards."""

from __future__ import annotations

from dataclasses import dataclass

from carehub.audit.model import AuditEntry, ChainHead, empty_chain


@dataclass(frozen=True)
class ShardVerification:
    """What verification found in one shard: how many entries are intact before the first
    problem, and the problem (None when the shard is intact)."""

    shard: int
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Verification:
    """What `carehub audit verify` found: one result per shard, in shard order, and how
    many cross-links between shards it checked."""

    shards: tuple[ShardVerification, ...] = ()
    links: int = 0

    @property
    def intact(self) -> bool:
        return all(shard.intact for shard in self.shards)

    @property
    def checked(self) -> int:
        """Intact entries, over every shard."""
        return sum(shard.checked for shard in self.shards)

    @property
    def first_bad(self) -> ShardVerification | None:
        """The lowest-numbered shard with a problem."""
        return next((shard for shard in self.shards if not shard.intact), None)

    @property
    def first_bad_shard(self) -> int | None:
        bad = self.first_bad
        return None if bad is None else bad.shard

    @property
    def first_bad_seq(self) -> int | None:
        bad = self.first_bad
        return None if bad is None else bad.first_bad_seq

    @property
    def problem(self) -> str | None:
        bad = self.first_bad
        return None if bad is None else bad.problem


class ShardVerifier:
    """Checks one shard's entries fed in sequence order; stops at the first changed,
    missing or misplaced one."""

    def __init__(self, shard: int) -> None:
        self.shard = shard
        self.head = empty_chain(shard)  # the last entry found intact
        self.checked = 0
        self.bad: tuple[int, str] | None = None  # (seq, problem)

    def feed(self, entry: AuditEntry) -> bool:
        """Check one entry; False once a problem was found."""
        if self.bad is not None:
            return False
        expected = self.head.seq + 1
        if entry.seq != expected:
            self.bad = (expected, f"entry {expected} is missing or out of order")
        elif entry.shard != self.shard:
            self.bad = (entry.seq, f"entry {entry.seq} belongs to shard {entry.shard}")
        elif entry.prev_hash != self.head.hash or entry.content_hash() != entry.hash:
            self.bad = (entry.seq, f"entry {entry.seq} was changed")
        else:
            self.checked += 1
            self.head = entry.head
        return self.bad is None

    def finish(self, stored: ChainHead | None) -> None:
        """Compare the last entry with the head the store keeps apart from the entries
        (None: it keeps none, or lost it)."""
        if self.bad is not None or stored is None or stored == self.head:
            return
        if stored.seq > self.head.seq:
            self.bad = (self.head.seq + 1, f"entries after {self.head.seq} are missing")
        else:
            self.bad = (stored.seq, "the chain head does not match the entries")


@dataclass(frozen=True)
class _Naming:
    """A cross-link as found: the hash it gives the entry it names, and the entry it is in."""

    hash: str
    by_shard: int
    by_seq: int

    @property
    def naming_entry(self) -> str:
        return f"shard {self.by_shard} entry {self.by_seq}"


class TrailVerifier:
    """Checks every shard fed to it, and that each entry a cross-link names is in its shard
    with the hash the link gives it.

    A link is settled when the entry it names is fed after it; one naming an entry fed
    before it is left for `lookups()`, and one naming an entry beyond its shard's end
    shows that shard's tail was removed.
    """

    def __init__(self) -> None:
        self._shards: dict[int, ShardVerifier] = {}
        self._named: dict[tuple[int, int], list[_Naming]] = {}  # awaiting the entry
        self._link_problems: dict[int, tuple[int, str]] = {}
        self._links = 0

    def start(self, shard: int) -> None:
        self._shards.setdefault(shard, ShardVerifier(shard))

    def feed(self, shard: int, entry: AuditEntry) -> bool:
        """Check the next entry read from `shard`; False once that shard has a problem."""
        if not self._shards[shard].feed(entry):
            return False
        for naming in self._named.pop((shard, entry.seq), []):
            self._compare(shard, entry.seq, entry, naming)
        for link in entry.links:
            self._links += 1
            naming = _Naming(link.hash, shard, entry.seq)
            self._named.setdefault((link.shard, link.seq), []).append(naming)
        return True

    def finish(self, shard: int, stored: ChainHead | None) -> None:
        """The shard was read to its end; `stored` is the head its store keeps, if any."""
        self._shards[shard].finish(stored)

    def unstarted(self) -> list[int]:
        """Shards that links name but that were not read (none of their entries was found)."""
        return sorted({shard for shard, _ in self._named} - self._shards.keys())

    def lookups(self) -> list[tuple[int, int]]:
        """(shard, seq) of named entries read before the entry naming them: read them again
        and hand them to `found`."""
        return sorted(
            (shard, seq)
            for shard, seq in self._named
            if shard in self._shards and seq <= self._shards[shard].head.seq
        )

    def found(self, shard: int, seq: int, entry: AuditEntry | None) -> None:
        for naming in self._named.pop((shard, seq), []):
            self._compare(shard, seq, entry, naming)

    def result(self) -> Verification:
        for (shard, seq), namings in sorted(self._named.items()):
            verifier = self._shards.get(shard) or ShardVerifier(shard)
            self._shards[shard] = verifier
            if verifier.bad is None and seq > verifier.head.seq:
                end = verifier.head.seq
                text = f"entries after {end} are missing ({namings[0].naming_entry} names {seq})"
                self._problem(shard, end + 1, text)
        self._named.clear()
        return Verification(tuple(self._outcome(s) for s in sorted(self._shards)), self._links)

    def _compare(self, shard: int, seq: int, entry: AuditEntry | None, naming: _Naming) -> None:
        if entry is None or entry.hash != naming.hash:
            self._problem(shard, seq, f"entry {seq} is not the one {naming.naming_entry} names")

    def _problem(self, shard: int, seq: int, text: str) -> None:
        known = self._link_problems.get(shard)
        if known is None or seq < known[0]:
            self._link_problems[shard] = (seq, text)

    def _outcome(self, shard: int) -> ShardVerification:
        verifier = self._shards[shard]
        problems = [p for p in (verifier.bad, self._link_problems.get(shard)) if p is not None]
        if not problems:
            return ShardVerification(shard, verifier.checked)
        seq, text = min(problems, key=lambda problem: problem[0])  # the shard's own first
        return ShardVerification(shard, verifier.checked, seq, text)
