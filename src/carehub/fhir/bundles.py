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
    next_url: str | None,
    versions: Sequence[Mapping[str, Any]],
    clock: Clock,
) -> dict[str, Any]:
    """A `history` Bundle: each version (newest first) with the interaction that made it
    (the first version a POST, later ones PUTs; `active: false` came from a deactivation,
    also a PUT)."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    entries = []
    for resource in versions:
        version = resource["meta"]["versionId"]
        url = f"{resource['resourceType']}/{resource['id']}"
        created = version == "1"
        entries.append(
            {
                "fullUrl": f"{base}/{url}",
                "resource": resource,
                "request": {"method": "POST" if created else "PUT", "url": url},
                "response": {
                    "status": "201 Created" if created else "200 OK",
                    "etag": f'W/"{version}"',
                    "lastModified": resource["meta"]["lastUpdated"],
                },
            }
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "history",
        "timestamp": instant(clock.now()),
        "link": links,
    }
    if entries:
        bundle["entry"] = entries
    return bundle
