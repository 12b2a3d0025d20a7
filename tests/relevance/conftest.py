"""The relevance suite runs on every store the contract suites run on, DynamoDB included,
wired the same way."""

from __future__ import annotations

from tests.contract.conftest import new_uow, writers
from tests.contract.every_adapter import every_adapter

__all__ = ["every_adapter", "new_uow", "writers"]
