"""Logging's configuration: DEBUG is carehub's own detail, never a library's wire dump."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from carehub.entrypoints.logging import WIRE_LOGGERS, configure_logging


@pytest.fixture
def restored() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in ("", *WIRE_LOGGERS)}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restored")
def test_debug_leaves_the_aws_and_http_clients_wire_logs_off() -> None:
    configure_logging("DEBUG")
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
    # botocore logs each request's body at DEBUG: a patient's record in a DynamoDB Put.
    assert not logging.getLogger("botocore.endpoint").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("urllib3.connectionpool").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("botocore").isEnabledFor(logging.INFO)


@pytest.mark.usefixtures("restored")
def test_a_quieter_level_stays_quieter_for_them_too() -> None:
    configure_logging("WARNING")
    assert not logging.getLogger("botocore").isEnabledFor(logging.INFO)
