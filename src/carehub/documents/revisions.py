"""Storing a changed file under optimistic concurrency."""

from __future__ import annotations

from dataclasses import replace

from carehub.documents.model import PatientFile
from carehub.documents.ports import DocumentsUnitOfWork


async def save(uow: DocumentsUnitOfWork, file: PatientFile) -> PatientFile | None:
    """Store `file`, changed from the stored revision `file.revision`; the stored file
    (one revision on), or None when another writer changed it first."""
    if not await uow.files.replace(file, expected_revision=file.revision):
        return None
    return replace(file, revision=file.revision + 1)
