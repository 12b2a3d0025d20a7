"""Errors of the audit domain."""

from __future__ import annotations

from carehub.kernel.errors import Forbidden


class AuditForbidden(Forbidden):
    """Only admins read the whole trail."""
