"""A bulk export's errors, each of a kernel kind."""

from __future__ import annotations

from carehub.kernel.errors import FieldError, Forbidden, Invalid, NotFound


class BadExportRequest(Invalid):
    """A kick-off the Bulk Data IG answers 400 (not 422): a missing `Prefer:
    respond-async`, or a `_type`, `_since` or `_outputFormat` carehub does not serve."""

    kind = "bad-request"
    title = "Bad request"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter} {message}", errors=[FieldError(parameter, message)])


class ExportForbidden(Forbidden):
    """Only admins export, and poll or cancel exports."""

    def __init__(self) -> None:
        super().__init__("Only admins export data in bulk")


class ExportNotFound(NotFound):
    """No export with that id (or it expired, was cancelled, or another admin asked)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Export {job_id} not found")
