"""Derived images: each ready image gets its `optimized` and `thumb` variants, made by the
worker when the image joins the record. Idempotent: a variant is the same bytes at the
same key however often it is made."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import structlog

from carehub.documents.model import DERIVED, FileStatus, PatientFile
from carehub.documents.ports import DocumentsUnitOfWork, ImageProcessor, ObjectStore
from carehub.documents.revisions import save

log = structlog.get_logger("carehub.documents")
# Every variant is a JPEG (`DERIVED_EXTENSION` in their keys).
DERIVED_TYPE = "image/jpeg"


class VariantMaker:
    def __init__(self, *, store: ObjectStore, images: ImageProcessor, max_bytes: int) -> None:
        self._store = store
        self._images = images
        self._max_bytes = max_bytes

    async def derive(self, *, uow: DocumentsUnitOfWork, file_id: str) -> None:
        """Write the file's missing variants and record them (nothing to do for files
        that are not ready images, or have every variant)."""
        file = await uow.files.get(file_id)
        if file is None or not _needs_variants(file):
            return
        original = await self._store.read(str(file.original_key), max_bytes=self._max_bytes)
        missing = [spec for spec in DERIVED if spec.scope not in file.derived]
        for spec in missing:
            data = await asyncio.to_thread(
                self._images.derive, original, max_width=spec.max_width, quality=spec.quality
            )
            await self._store.write(str(file.key(spec.scope)), data, content_type=DERIVED_TYPE)
        made = frozenset(spec.scope for spec in missing)
        while file is not None and _needs_variants(file):
            if await save(uow, replace(file, derived=file.derived | made)) is not None:
                log.info("documents.variants_made", file_id=file.id, count=len(made))
                return
            file = await uow.files.get(file_id)  # changed meanwhile (detached, say)
        if file is not None and file.status is FileStatus.DELETED:
            # Deleted while the variants were made: they must not outlive it.
            await self._store.delete([str(file.key(spec.scope)) for spec in missing])


def _needs_variants(file: PatientFile) -> bool:
    return (
        file.status is FileStatus.READY
        and file.is_image
        and any(spec.scope not in file.derived for spec in DERIVED)
    )
