"""The documents use cases over the in-memory adapters: files kept in a memory object
store, real (in-process) image checks, and a clock that stands still."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from carehub.adapters.cdn.none import NoCdn
from carehub.adapters.images.pillow import PillowImages
from carehub.adapters.memory.objects import MemoryObjectStore
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.documents.model import Category, Kind, PatientFile
from carehub.documents.service import DocumentService
from carehub.documents.stamps import StampService
from carehub.documents.uploads import UploadLimits, UploadRequest, UploadService
from carehub.kernel.actor import Actor, Role
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, NOW, add_patient

LIMITS = UploadLimits(max_bytes=64 * 1024, url_lifetime=timedelta(minutes=15))
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

STAFF_PE = Actor(id="staff-pe", role=Role.STAFF, country_id="PE")
STAFF_CO = Actor(id="staff-co", role=Role.STAFF, country_id="CO")
DOCTOR = Actor(id="user-dr", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-1")


def png(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    add_patient(store, "ana", "PE", NOW)
    add_patient(store, "luis", "PE", NOW)
    add_patient(store, "gone", "PE", NOW, active=False)
    store.care.add(("dr-1", "ana"))
    return store


@pytest.fixture
def objects(clock: StillClock) -> MemoryObjectStore:
    return MemoryObjectStore(clock)


@pytest.fixture
def uploads(store: MemoryStore, clock: StillClock, objects: MemoryObjectStore) -> UploadService:
    return UploadService(
        lambda: MemoryUnitOfWork(store, clock),
        clock,
        store=objects,
        images=PillowImages(),
        limits=LIMITS,
    )


@pytest.fixture
def documents(store: MemoryStore, clock: StillClock, objects: MemoryObjectStore) -> DocumentService:
    return DocumentService(
        lambda: MemoryUnitOfWork(store, clock),
        clock,
        store=objects,
        cdn=NoCdn(),
        url_lifetime=LIMITS.url_lifetime,
    )


@pytest.fixture
def stamps(store: MemoryStore, clock: StillClock) -> StampService:
    return StampService(lambda: MemoryUnitOfWork(store, clock), clock)


def asked(
    category: Category = Category.LAB, mime_type: str = "application/pdf", **fields: object
) -> UploadRequest:
    extension = {"application/pdf": "pdf", "image/png": "png"}.get(mime_type, "bin")
    return UploadRequest(
        filename=f"scan.{extension}",
        mime_type=mime_type,
        kind=Kind.DOC,
        category=category,
        **fields,  # type: ignore[arg-type]
    )


async def upload(
    uploads: UploadService,
    objects: MemoryObjectStore,
    data: bytes = PDF,
    *,
    actor: Actor = ADMIN,
    patient_id: str = "ana",
    request: UploadRequest | None = None,
) -> PatientFile:
    """Presign, put `data` where the form points (as the client's POST would), complete."""
    presigned = await uploads.presign(
        actor=actor, patient_id=patient_id, request=request or asked()
    )
    key = str(presigned.file.original_key)
    await objects.write(key, data, content_type=presigned.file.mime_type)
    return await uploads.complete(actor=actor, patient_id=patient_id, key=key)
