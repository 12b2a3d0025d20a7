"""Making an image's variants on each SQL backend with the folder store: both variants
land at their keys, a second run changes nothing, and a file deleted meanwhile keeps none."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from pathlib import Path

from PIL import Image

from carehub.adapters.blob.folder import FolderObjectStore
from carehub.adapters.images.pillow import PillowImages
from carehub.documents.model import Category, FileStatus, Scope
from carehub.documents.variants import VariantMaker
from tests.support.clock import AdjustableClock
from tests.support.file_records import NewUnit, a_file, open_units

MAX_BYTES = 5 * 1024 * 1024


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), "teal").save(out, "JPEG", quality=90)
    return out.getvalue()


async def derive(new_uow: NewUnit, maker: VariantMaker, file_id: str) -> None:
    async with new_uow() as uow:
        await maker.derive(uow=uow, file_id=file_id)
        await uow.commit()


async def test_variants_are_made_once_and_a_second_run_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    store = FolderObjectStore(tmp_path / "objects", AdjustableClock(), b"k" * 32)
    maker = VariantMaker(store=store, images=PillowImages(), max_bytes=MAX_BYTES)
    image = a_file(1, category=Category.PREOP, mime_type="image/jpeg", extension="jpg")
    async with open_units(database_url, tmp_path) as new_uow:
        async with new_uow() as uow:
            await uow.files.add(image)
            await uow.commit()
        await store.write(str(image.original_key), photo(), content_type="image/jpeg")

        await derive(new_uow, maker, image.id)
        async with new_uow() as uow:
            made = await uow.files.get(image.id)
        first = {s: await store.read(str(image.key(s)), max_bytes=MAX_BYTES) for s in made.derived}
        await derive(new_uow, maker, image.id)
        async with new_uow() as uow:
            again = await uow.files.get(image.id)

    assert made is not None and again is not None
    assert made.derived == {Scope.OPTIMIZED, Scope.THUMB}
    assert Image.open(io.BytesIO(first[Scope.OPTIMIZED])).size == (1600, 800)
    assert Image.open(io.BytesIO(first[Scope.THUMB])).size == (320, 160)
    assert again.revision == made.revision == image.revision + 1


async def test_a_file_deleted_before_its_variants_are_recorded_keeps_none(
    database_url: str, tmp_path: Path
) -> None:
    store = FolderObjectStore(tmp_path / "objects", AdjustableClock(), b"k" * 32)
    image = a_file(2, category=Category.PREOP, mime_type="image/jpeg", extension="jpg")

    class DeletingImages(PillowImages):
        """Deletes the file in the record while its variants are being made."""

        deleted = False

        def derive(self, data: bytes, *, max_width: int, quality: int) -> bytes:
            if not self.deleted:  # derive runs on a thread: the test's loop is free
                self.deleted = True
                asyncio.run_coroutine_threadsafe(delete_meanwhile(), loop).result(timeout=30)
            return super().derive(data, max_width=max_width, quality=quality)

    loop = asyncio.get_running_loop()
    async with open_units(database_url, tmp_path) as new_uow:

        async def delete_meanwhile() -> None:
            async with new_uow() as uow:
                stored = await uow.files.get(image.id)
                assert stored is not None
                await uow.files.replace(
                    replace(stored, status=FileStatus.DELETED), expected_revision=stored.revision
                )
                await uow.commit()

        async with new_uow() as uow:
            await uow.files.add(image)
            await uow.commit()
        await store.write(str(image.original_key), photo(), content_type="image/jpeg")
        maker = VariantMaker(store=store, images=DeletingImages(), max_bytes=MAX_BYTES)

        await derive(new_uow, maker, image.id)

    for scope in (Scope.OPTIMIZED, Scope.THUMB):
        assert await store.head(str(image.key(scope))) is None
