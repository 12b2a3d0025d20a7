"""Errors of the documents domain."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, FieldError, Invalid, NotFound


class InvalidKey(Invalid):
    """A key that is not one carehub issued for this patient (foreign, traversal, absolute)."""

    def __init__(self, reason: str, *, field: str = "key") -> None:
        super().__init__(f"Object key refused: {reason}", errors=[FieldError(field, reason)])


class FileNotFound(NotFound):
    def __init__(self, what: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(f"File {what} does not exist", errors=errors)


class ItemNotAttachable(Invalid):
    """The upload's `itemId` is missing where its kind needs one, sent where it needs none,
    or names no item of that kind of this patient (a missing item and another patient's
    look the same)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"itemId refused: {reason}", errors=[FieldError("itemId", reason)])


class PreopLimitReached(Conflict):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This patient already has {limit} preop images; send replaceOldest=true to "
            "replace the oldest"
        )


class UploadMissing(Conflict):
    """Completion was asked for before the object arrived."""

    def __init__(self) -> None:
        super().__init__("Nothing has been uploaded to this key yet")


class UploadRejected(Invalid):
    """The uploaded object failed a check; it was deleted and never joins the record.
    `reason` is a stable code: too_large, empty, type_mismatch, not_allowed, unreadable."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"Upload rejected: {detail}", errors=[FieldError("key", reason)])
        self.reason = reason


class UploadExpired(Conflict):
    def __init__(self) -> None:
        super().__init__("The upload URL of this file expired before it was confirmed")


class StampExists(Conflict):
    def __init__(self) -> None:
        super().__init__("This document is already stamped; a stamp cannot be edited")


class StampNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("This document has no verification stamp")
