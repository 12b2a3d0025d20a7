"""The relevance suite runs on every store the contract suites run on, wired the same way."""

from __future__ import annotations

from tests.contract.conftest import adapter, new_uow, writers

__all__ = ["adapter", "new_uow", "writers"]
