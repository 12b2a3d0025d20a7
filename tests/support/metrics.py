"""Reading a Prometheus page the way Prometheus does (the client library's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def samples(page: str) -> list[Sample]:
    """Every sample of the page; parsing fails on a page Prometheus could not read."""
    return [sample for family in text_string_to_metric_families(page) for sample in family.samples]


def value(page: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0: none)."""
    return sum(
        sample.value
        for sample in samples(page)
        if sample.name == name and labels.items() <= sample.labels.items()
    )
