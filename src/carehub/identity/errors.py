"""Errors of the identity domain. Sign-in failures never say which part was wrong."""

from __future__ import annotations

from carehub.kernel.errors import Conflict, NotFound, TooMany, Unauthenticated


class EmailTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("An account with this email exists already")


class UserNotFound(NotFound):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"User {user_id} does not exist")


class SignInFailed(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("Email or password is wrong, or the account is not active")


class CodeRejected(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("The code is wrong, used or expired; request a new one")


class SessionInvalid(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("The refresh token is not valid; sign in again")


class NotSignedIn(Unauthenticated):
    def __init__(self, detail: str = "A valid bearer token is required") -> None:
        super().__init__(detail)


class Throttled(TooMany):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many attempts; try again later", retry_after=retry_after)


class LastAdmin(Conflict):
    """The change would leave no active admin to run carehub."""

    def __init__(self) -> None:
        super().__init__("This is the last active admin; make another admin first")


class PatientLinkTaken(Conflict):
    """Another account links the patient record already (one patient account per record)."""

    def __init__(self) -> None:
        super().__init__("Another account is linked to this patient record")
