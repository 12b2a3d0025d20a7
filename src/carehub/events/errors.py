"""Errors of the event backbone."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, NotFound


class DeadLetterNotFound(NotFound):
    def __init__(self, letter_id: str) -> None:
        super().__init__(f"Dead letter {letter_id} not found")


class ReplayFailed(Conflict):
    """The consumer failed again; the letter stays parked with the new error."""


class LetterAlreadyReplayed(Conflict):
    def __init__(self, letter_id: str) -> None:
        super().__init__(f"Dead letter {letter_id} was already replayed")
