"""A finished export's manifest, as the Bulk Data IG (v2) writes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.fhir.export.job import ExportJob, Output
from carehub.fhir.wire import instant


def manifest(job: ExportJob, links: Sequence[tuple[Output, str]]) -> dict[str, Any]:
    """Each file with its type, its signed link and its count; the links need no token."""
    return {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": False,
        "output": [{"type": o.resource_type, "url": url, "count": o.count} for o, url in links],
        "error": [],
    }


def progress(job: ExportJob) -> str:
    """What `X-Progress` says of a running export: counts only."""
    p = job.position
    return f"{p.patients} patients read in {p.steps} steps"
