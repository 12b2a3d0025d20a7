"""Reactions to documents events: derived images for every image that joins a record."""

from __future__ import annotations

from carehub.documents.events import DOCUMENT_UPLOADED
from carehub.documents.ports import DocumentsUnitOfWork
from carehub.documents.variants import VariantMaker
from carehub.kernel.events import EventMessage

VARIANT_EVENTS = frozenset({DOCUMENT_UPLOADED})


class MakeVariants:
    """The image-variants consumer."""

    def __init__(self, maker: VariantMaker) -> None:
        self._maker = maker

    async def __call__(self, message: EventMessage, uow: DocumentsUnitOfWork) -> None:
        if message.event_type != DOCUMENT_UPLOADED:
            return
        if not str(message.payload.get("mimeType", "")).startswith("image/"):
            return
        await self._maker.derive(uow=uow, file_id=message.aggregate_id)
