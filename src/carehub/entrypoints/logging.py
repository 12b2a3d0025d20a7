"""Structured JSON logs. Events carry ids, routes and timings; never names, contacts or bodies."""

from __future__ import annotations

import logging
import sys

import structlog

# At DEBUG these libraries log each request they send and each answer, bodies and headers
# included (a patient's record in a DynamoDB Put): they stay at INFO whatever carehub's
# level, so that DEBUG shows carehub's own lines (the capacity meter's) and no health data.
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "httpcore", "hpack")


def configure_logging(level: str = "INFO") -> None:
    """One JSON object per line on stdout, for carehub's and uvicorn's loggers alike."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our own request log replaces it
