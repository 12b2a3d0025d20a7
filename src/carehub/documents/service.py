"""The patient's files as a record: list them, show the seven categories, hand out
download links, detach files and delete objects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from carehub.documents.access import Gate
from carehub.documents.errors import FileNotFound, InvalidKey
from carehub.documents.events import FileDeleted, FileDetached
from carehub.documents.model import (
    STAMPABLE,
    Category,
    FileStatus,
    Kind,
    ObjectKey,
    PatientFile,
    Scope,
    Stamp,
)
from carehub.documents.ports import CdnInvalidator, DocumentsUnitOfWork, ObjectStore
from carehub.documents.revisions import save
from carehub.kernel.actor import Actor
from carehub.kernel.clock import Clock
from carehub.kernel.errors import Conflict, FieldError, Invalid
from carehub.kernel.pagination import Page, check_limit

MAX_KEYS = 100


@dataclass(frozen=True)
class FileListing:
    page: Page[PatientFile]
    scope: Scope
    # file id -> download URL of the listed key (when links were asked for)
    links: dict[str, str]


@dataclass(frozen=True)
class LinkedFile:
    """A file of the record and a download URL of one of its variants."""

    file: PatientFile
    link: str


@dataclass(frozen=True)
class CategoryFiles:
    """One of the seven categories: its attached files, and stamps where it has them."""

    category: Category
    files: list[PatientFile]
    stamps: dict[str, list[Stamp]]

    @property
    def has_files(self) -> bool:
        return bool(self.files)


@dataclass(frozen=True)
class Deletion:
    deleted: list[str]
    invalidation_id: str | None


class DocumentService:
    """Reading and pruning a patient's files."""

    def __init__(
        self,
        uow_factory: Callable[[], DocumentsUnitOfWork],
        clock: Clock,
        *,
        store: ObjectStore,
        cdn: CdnInvalidator,
        url_lifetime: timedelta,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._store = store
        self._cdn = cdn
        self._url_lifetime = url_lifetime
        self._gate = Gate(clock)

    async def list_files(
        self,
        *,
        actor: Actor,
        patient_id: str,
        scope: Scope = Scope.OPTIMIZED,
        kind: Kind | None = None,
        category: Category | None = None,
        item_id: str | None = None,
        links: bool = False,
        cursor: str | None = None,
        limit: int = 50,
    ) -> FileListing:
        """The patient's files in the record or detached from it, oldest first (only those
        of `kind`, `category` and `item_id` where given); with `links`, a download URL for
        each (every one audited)."""
        check_limit(limit)
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, "file.list")
            page = await uow.files.ready(
                patient_id,
                kind=kind,
                category=category,
                item_id=item_id,
                cursor=cursor,
                limit=limit,
            )
            urls: dict[str, str] = {}
            if links:
                for file in page.items:
                    urls[file.id] = await self._link(file, file.shown_key(scope))
                    uow.audit(self._gate.record(actor, "file.download", patient_id, file.id))
            uow.audit(self._gate.record(actor, "file.list", patient_id, None))
            await uow.commit()
        return FileListing(page, scope, urls)

    async def file(
        self, *, actor: Actor, file_id: str, scope: Scope = Scope.ORIGINALS
    ) -> LinkedFile:
        """One file of the record found by its id alone (a FHIR read names no patient),
        with a download URL of `scope`; audited as a read and a download, as a listing
        with links is. A file not in the record (pending, rejected, deleted) is missing."""
        async with self._uow() as uow:
            found = await uow.files.get(file_id)
            if found is not None and found.status is not FileStatus.READY:
                found = None

            async def may_see(file: PatientFile) -> bool:
                return await self._gate.sees(actor, uow.patient_directory, file.patient_id)

            file = await self._gate.reveal(
                uow,
                actor,
                "file.read",
                found,
                resource_id=file_id,
                missing=FileNotFound(file_id),
                may_see=may_see,
            )
            url = await self._link(file, file.shown_key(scope))
            uow.audit(self._gate.allowed(actor, "file.read", file))
            uow.audit(self._gate.allowed(actor, "file.download", file))
            await uow.commit()
        return LinkedFile(file, url)

    async def documents(
        self, *, actor: Actor, patient_id: str, kind: Kind = Kind.DOC
    ) -> list[CategoryFiles]:
        """The seven categories in order, each with its attached files of `kind` (every
        version). The document record is kind doc; files attached to notes, medications
        and tasks are shown by their own kind, so they neither fill the record's
        categories nor count among its preop images."""
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, "document.list")
            attached = [f for f in await uow.files.attached(patient_id) if f.kind is kind]
            stampable = [f.id for f in attached if f.category in STAMPABLE]
            stamps = await uow.stamps.history(stampable) if stampable else {}
            uow.audit(self._gate.record(actor, "document.list", patient_id, None))
            await uow.commit()
        groups = []
        for category in Category:
            files = [f for f in attached if f.category is category]
            history = {f.id: stamps.get(f.id, []) for f in files} if category in STAMPABLE else {}
            groups.append(CategoryFiles(category, files, history))
        return groups

    async def download_url(self, *, actor: Actor, patient_id: str, key: str) -> str:
        """A download URL for one of the patient's objects (audited)."""
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, "file.download")
            async with self._gate.checking(uow, actor, "file.download", patient_id=patient_id):
                parsed, file = await _own(uow, patient_id, key)
                if file is None or file.status is not FileStatus.READY:
                    raise FileNotFound(parsed.file_id)
            url = await self._link(file, parsed)
            uow.audit(self._gate.record(actor, "file.download", patient_id, file.id))
            await uow.commit()
        return url

    async def detach(
        self, *, actor: Actor, patient_id: str, category: Category, key: str
    ) -> PatientFile:
        """Take a file out of the record; its objects stay stored (idempotent)."""
        action = "document.detach"
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, action)
            async with self._gate.checking(uow, actor, action, patient_id=patient_id):
                parsed, file = await _own(uow, patient_id, key)
                if file is None or file.status is not FileStatus.READY:
                    raise FileNotFound(parsed.file_id)
                if file.category is not category:
                    raise Invalid(
                        "The key is not a file of that category",
                        errors=[FieldError("category", f"the file's is {file.category.value}")],
                    )
            uow.audit(self._gate.record(actor, action, patient_id, file.id))
            if file.attached:
                stored = await save(uow, replace(file, attached=False, preop_slot=None))
                if stored is None:
                    raise Conflict("The file changed at the same time; try again")
                file = stored
                uow.record(FileDetached.of(file, actor, self._clock.now()))
            await uow.commit()
        return file

    async def delete(
        self,
        *,
        actor: Actor,
        patient_id: str,
        keys: Sequence[str],
        invalidate: bool = True,
        include_siblings: bool = True,
    ) -> Deletion:
        """Delete objects of the patient (with `include_siblings`, every variant of each
        file), update the record, then ask the CDN to forget them.

        All or nothing: if any key names no object of the record (an unknown file, one
        already deleted, or a variant not made), nothing is deleted and the missing keys
        are named in a FileNotFound (404).
        """
        if not 1 <= len(keys) <= MAX_KEYS:
            raise Invalid(
                f"Send 1 to {MAX_KEYS} keys",
                errors=[FieldError("keys", f"1 to {MAX_KEYS} keys")],
            )
        action = "file.delete"
        now = self._clock.now()
        async with self._uow() as uow:
            await self._gate.visible(uow, actor, patient_id, action)
            async with self._gate.checking(uow, actor, action, patient_id=patient_id):
                targets = [await _own(uow, patient_id, key) for key in dict.fromkeys(keys)]
                missing = [str(parsed) for parsed, file in targets if not _exists(parsed, file)]
                if missing:
                    raise FileNotFound(
                        ", ".join(missing),
                        errors=[FieldError("keys", f"{key} does not exist") for key in missing],
                    )
            doomed: dict[str, None] = {}
            changed: dict[str, tuple[PatientFile, set[Scope]]] = {}
            for parsed, file in targets:
                siblings = file.all_keys() if include_siblings and file else [parsed]
                doomed.update(dict.fromkeys(str(k) for k in siblings))
                if file is not None:
                    gone = changed.setdefault(file.id, (file, set()))[1]
                    gone.update(k.scope for k in siblings)
            for file, scopes in changed.values():
                uow.audit(self._gate.record(actor, action, patient_id, file.id))
                pruned = _without(file, scopes)
                if pruned == file:
                    continue
                if await save(uow, pruned) is None:
                    raise Conflict("A file changed at the same time; try again")
                if pruned.status is FileStatus.DELETED and file.status is FileStatus.READY:
                    uow.record(FileDeleted.of(pruned, actor, now))
            await uow.commit()
        deleted = list(doomed)
        await self._store.delete(deleted)
        invalidation = await self._cdn.invalidate(deleted) if invalidate else None
        return Deletion(deleted, invalidation)

    async def _link(self, file: PatientFile, key: ObjectKey) -> str:
        # A neutral download name: the uploaded one may name the patient, and URLs end
        # up in access logs.
        name = f"{file.category.value}-v{file.version}.{key.extension}"
        return await self._store.presign_download(
            key=str(key), expires_in=self._url_lifetime, filename=name
        )


async def _own(
    uow: DocumentsUnitOfWork, patient_id: str, key: str
) -> tuple[ObjectKey, PatientFile | None]:
    """The key (one of this patient's) and the file it belongs to, if carehub knows it."""
    parsed = ObjectKey.parse(key)
    storage_key = await uow.files.known_storage_key(patient_id)
    if storage_key is None or parsed.storage_key != storage_key:
        raise InvalidKey("not a key of this patient")
    file = await uow.files.get(parsed.file_id)
    if file is not None and file.patient_id != patient_id:
        raise InvalidKey("not a key of this patient")
    return parsed, file


def _exists(key: ObjectKey, file: PatientFile | None) -> bool:
    """Whether the record knows an object at `key` that has not been deleted."""
    if file is None or file.status not in (FileStatus.PENDING, FileStatus.READY):
        return False
    return key.scope is Scope.ORIGINALS or key.scope in file.derived


def _without(file: PatientFile, scopes: set[Scope]) -> PatientFile:
    """The file once the objects of `scopes` are gone."""
    if Scope.ORIGINALS in scopes:
        return replace(
            file,
            status=FileStatus.DELETED,
            attached=False,
            preop_slot=None,
            derived=frozenset(),
        )
    return replace(file, derived=file.derived - scopes)
