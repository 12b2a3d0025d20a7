"""Absolute links in responses, made from the configured public origin."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from fastapi import Request

from carehub.web.dependencies import use_cases_of


@dataclass(frozen=True, slots=True)
class PublicOrigin:
    """Where clients reach this server (`CAREHUB_PUBLIC_URL`, e.g. `https://api.clinic.example`).

    Links never come from the request's `Host` header: a client that sends
    `Host: evil.example` would otherwise get signed links to a host it chose.
    """

    url: str

    def link(self, url: str) -> str:
        """`url` as a client follows it: absolute URLs (an object store's) as they are,
        paths on this server joined to the public origin."""
        return urljoin(self.url, url)


def public_link(request: Request, url: str) -> str:
    """`url` made absolute on the public origin of the app serving `request`."""
    return use_cases_of(request).get(PublicOrigin).link(url)
