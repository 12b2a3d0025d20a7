"""Search results as `searchset` Bundles, paged with carehub's own cursors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from carehub.fhir.wire import instant
from carehub.kernel.clock import Clock


def search_url(base: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """`base/path?params`, the parameters in the order given (FHIR keeps repeated ones)."""
    query = urlencode(list(params))
    return f"{base}/{path}" + (f"?{query}" if query else "")


def searchset(
    *,
    base: str,
    self_url: str,
    next_url: str | None,
    matches: Sequence[Mapping[str, Any]],
    included: Sequence[Mapping[str, Any]] = (),
    clock: Clock,
) -> dict[str, Any]:
    """A searchset Bundle: the matches, then what `_include` brought (each once), with a
    `next` link while there are more pages. No `total`: counting would cost a second
    query on every page."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    entries = [_entry(base, r, "match") for r in matches]
    seen = {(r["resourceType"], r["id"]) for r in matches}
    for resource in included:
        key = (resource["resourceType"], resource["id"])
        if key not in seen:
            seen.add(key)
            entries.append(_entry(base, resource, "include"))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(clock.now()),
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _entry(base: str, resource: Mapping[str, Any], mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def history(
    *,
    base: str,
    self_url: str,
    versions: Sequence[Mapping[str, Any]],
    clock: Clock,
    next_url: str | None = None,
) -> dict[str, Any]:
    """A history Bundle of one resource: its versions newest first, each with the
    interaction that made it (the first a create, every later one an update), with a
    `next` link while there are older ones."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    entries = [_version_entry(base, v) for v in sorted(versions, key=_version, reverse=True)]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "history",
        "timestamp": instant(clock.now()),
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _version(resource: Mapping[str, Any]) -> int:
    return int(resource["meta"]["versionId"])


def _version_entry(base: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    path = f"{resource['resourceType']}/{resource['id']}"
    created = _version(resource) == 1
    return {
        "fullUrl": f"{base}/{path}",
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]}
        if created
        else {"method": "PUT", "url": path},
        "response": {
            "status": "201 Created" if created else "200 OK",
            "etag": f'W/"{_version(resource)}"',
            "lastModified": resource["meta"]["lastUpdated"],
        },
    }
