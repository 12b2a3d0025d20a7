"""A DocumentReference taken in (`POST`): one patient file whose bytes come inline, as
`content[0].attachment.data` (base64).

carehub keeps the file, its type (`contentType`), its name (`title`), its category (one
of carehub's, `urn:carehub:document-category`), the record item it is attached to
(`context.related`: a note's DocumentReference, a MedicationStatement or a Task), and the
earlier version it replaces (`relatesTo` with code `replaces`). `size` and `hash`, when
sent, must be the data's. Anything else is refused, naming the element.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints

from carehub.documents.model import Category, Kind
from carehub.documents.uploads import UploadRequest
from carehub.fhir.resources.document import ITEM_KINDS
from carehub.fhir.schemas.write_datatypes import FhirId, FhirWrite, Meta, Reference
from carehub.kernel.errors import FieldError, Invalid
from carehub.web.text import NAME, ONE_LINE, OPAQUE

ATTACHMENT = "content[0].attachment"
# Base64 of the largest body the API reads (1 MiB): a bound before decoding, not the
# limit of a file (the upload checks hold it to theirs).
MAX_DATA = 1_400_000
DEFAULT_TITLE = "document"


class CategoryCoding(FhirWrite):
    # resources.document.CATEGORY_SYSTEM
    system: Literal["urn:carehub:document-category"]
    code: Category
    display: Annotated[str, StringConstraints(min_length=1, max_length=200), NAME] | None = None


class CategoryConcept(FhirWrite):
    coding: Annotated[list[CategoryCoding], Field(min_length=1, max_length=1)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=200), NAME] | None = None


class AttachmentWrite(FhirWrite):
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=100), ONE_LINE]
    data: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DATA), OPAQUE]
    title: Annotated[str, StringConstraints(min_length=1, max_length=255), NAME] | None = None
    size: Annotated[StrictInt, Field(ge=0)] | None = None
    hash: Annotated[str, StringConstraints(min_length=1, max_length=64), ONE_LINE] | None = None


class ContentWrite(FhirWrite):
    attachment: AttachmentWrite


class ContextWrite(FhirWrite):
    related: Annotated[list[Reference], Field(min_length=1, max_length=1)]


class RelatesToWrite(FhirWrite):
    code: Literal["replaces"]
    target: Reference


class DocumentReferenceWrite(FhirWrite):
    """The elements of a DocumentReference carehub keeps of a file (and `id` and `meta`,
    which it sets itself)."""

    resource_type: Literal["DocumentReference"]
    id: FhirId | None = None
    meta: Meta | None = None
    status: Literal["current"]
    category: Annotated[list[CategoryConcept], Field(min_length=1, max_length=1)]
    subject: Reference
    content: Annotated[list[ContentWrite], Field(min_length=1, max_length=1)]
    context: ContextWrite | None = None
    relates_to: Annotated[list[RelatesToWrite], Field(min_length=1, max_length=1)] | None = None

    def upload(self) -> InlineUpload:
        """The upload it asks for (422 naming the element carehub cannot take as sent)."""
        attachment = self.content[0].attachment
        kind, item_id = Kind.DOC, None
        if self.context is not None:
            related = self.context.related[0]
            kind = ITEM_KINDS.get(related.reference.partition("/")[0], Kind.DOC)
            if kind is Kind.DOC:
                raise _invalid(
                    "context.related[0]", "must be a note, a MedicationStatement or a Task"
                )
            item_id = related.reference.partition("/")[2]
        replaces = None
        if self.relates_to is not None:
            replaces = self.relates_to[0].target.id_of("relatesTo[0].target", "DocumentReference")
        return InlineUpload(
            patient_id=self.subject.id_of("subject", "Patient"),
            request=UploadRequest(
                filename=attachment.title or DEFAULT_TITLE,
                mime_type=attachment.content_type,
                kind=kind,
                category=self.category[0].coding[0].code,
                replaces=replaces,
                item_id=item_id,
            ),
            data=_data(attachment),
        )


@dataclass(frozen=True)
class InlineUpload:
    patient_id: str
    request: UploadRequest
    data: bytes


# Where the upload's own checks name a field, the element of the resource that holds it.
UPLOAD_FIELDS = {
    "mimeType": f"{ATTACHMENT}.contentType",
    "filename": f"{ATTACHMENT}.title",
    "key": f"{ATTACHMENT}.data",
    "itemId": "context.related[0]",
    "replaces": "relatesTo[0].target",
}


def _data(attachment: AttachmentWrite) -> bytes:
    try:
        data = base64.b64decode(attachment.data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{ATTACHMENT}.data", "must be base64") from None
    if attachment.size is not None and attachment.size != len(data):
        raise _invalid(f"{ATTACHMENT}.size", "is not the size of the data")
    if attachment.hash is not None:
        sha1 = base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()
        if attachment.hash != sha1:
            raise _invalid(f"{ATTACHMENT}.hash", "is not the data's SHA-1 (base64)")
    return data


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field} {message}", errors=[FieldError(field, message)])
