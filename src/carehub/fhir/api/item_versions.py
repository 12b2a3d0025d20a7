"""The answers every versioned resource of the clinical record gives: one version with its
ETag, a version of its history (`vread`), and its whole history as a Bundle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Path
from starlette.responses import Response

from carehub.clinical.model import RecordItem, Revision
from carehub.fhir.api.responses import fhir_response, versioned_response
from carehub.fhir.bundles import history
from carehub.kernel.clock import Clock
from carehub.kernel.errors import NotFound

T = TypeVar("T", bound=RecordItem)
Render = Callable[[T], dict[str, Any]]

# `_history/{n}`: a version number as `meta.versionId` gives it.
VersionId = Annotated[int, Path(ge=1, le=999_999_999)]


def version_of(revisions: Sequence[Revision[T]], version: int, render: Render[T]) -> Response:
    """One version of the item (404 when it never had it)."""
    for revision in revisions:
        if revision.version == version:
            return versioned_response(render(revision.item), version)
    resource = render(revisions[-1].item) if revisions else None
    what = f"{resource['resourceType']}/{resource['id']}" if resource else "The resource"
    raise NotFound(f"{what} has no version {version}")


def history_of(
    revisions: Sequence[Revision[T]], render: Render[T], *, base: str, path: str, clock: Clock
) -> Response:
    """Every version of the item, newest first, as a history Bundle."""
    bundle = history(
        base=base,
        self_url=f"{base}/{path}/_history",
        versions=[render(r.item) for r in revisions],
        clock=clock,
    )
    return fhir_response(bundle)
