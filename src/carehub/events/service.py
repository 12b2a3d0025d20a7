"""Dead letters: listing what consumers gave up on and replaying it (admins, operators)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from carehub.events.errors import DeadLetterNotFound, LetterAlreadyReplayed, ReplayFailed
from carehub.events.model import DeadLetter, describe_error
from carehub.events.ports import ConsumerUnitOfWork, DeadLetters
from carehub.events.runner import ConsumerOf, apply_once
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Forbidden
from carehub.kernel.pagination import Page, check_limit


class DeadLetterService:
    def __init__(
        self,
        dead_letters: DeadLetters,
        consumers: Mapping[str, ConsumerOf],
        new_uow: Callable[[], ConsumerUnitOfWork],
        clock: Clock,
    ) -> None:
        self._letters = dead_letters
        self._consumers = consumers
        self._new_uow = new_uow
        self._clock = clock

    async def list(
        self,
        *,
        actor: Actor,
        consumer: str | None = None,
        include_replayed: bool = False,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[DeadLetter]:
        """Parked messages, newest first."""
        _require_admin(actor)
        check_limit(limit)
        return await self._letters.page(
            consumer=consumer, include_replayed=include_replayed, cursor=cursor, limit=limit
        )

    async def replay(self, *, actor: Actor, letter_id: str) -> DeadLetter:
        """Apply the parked message with its consumer again, now, in this process; once.

        The letter is claimed (marked replayed) by a conditional write before its consumer
        runs, so a second or concurrent replay is refused (409) and repeats nothing, even
        for consumers whose effects (mail) leave no processed record. A failed replay
        releases the claim with the new error.
        """
        _require_admin(actor)
        letter = await self._letters.get(letter_id)
        if letter is None:
            raise DeadLetterNotFound(letter_id)
        consumer = self._consumers.get(letter.consumer)
        if consumer is None:
            raise DeadLetterNotFound(letter_id)  # its consumer no longer exists
        if not await self._letters.claim_replay(letter_id, self._clock.now()):
            raise LetterAlreadyReplayed(letter_id)
        try:
            await apply_once(consumer, letter.message, self._new_uow)
        except Exception as exc:
            error = describe_error(exc)
            await self._letters.note_failed_replay(letter_id, error, self._clock.now())
            raise ReplayFailed(f"The consumer failed again: {error}") from exc
        replayed = await self._letters.get(letter_id)
        assert replayed is not None
        return replayed


def _require_admin(actor: Actor) -> None:
    if not actor.unrestricted:
        raise Forbidden("Only admins handle dead letters")
