"""Periodic jobs on Lambda: EventBridge rules (or Scheduler schedules) whose input names
the job, `{"job": "hold-expiry" | "upload-expiry" | "outbox-pruning" |
"webhook-deliveries"}`. A job does what one round of the matching background loop does,
round after round while rounds come back full, so a backlog drains within one invocation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from carehub.bootstrap import Carehub
from carehub.entrypoints.aws.container import CONTAINER
from carehub.entrypoints.background import BATCH, drained_jobs, prune_outbox

log = logging.getLogger("carehub.aws.schedule")
MAX_ROUNDS = 20  # a bound on one invocation; the next one carries on


class UnknownJob(ValueError):
    """The scheduled event names no job this function runs."""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Run the job the event names; what it did."""
    return CONTAINER.run(lambda carehub: run_job(carehub, event))


async def run_job(carehub: Carehub, event: Mapping[str, Any]) -> dict[str, Any]:
    jobs: dict[str, Callable[[], Awaitable[int]]] = {
        **{name: partial(_drain, job) for name, job in drained_jobs(carehub).items()},
        "outbox-pruning": partial(prune_outbox, carehub),
    }
    name = event.get("job")
    if not isinstance(name, str) or name not in jobs:
        # The input is not echoed: only that it named nothing known.
        log.error("a scheduled event named no known job; known: %s", ", ".join(sorted(jobs)))
        raise UnknownJob(f"the event's input must be {{'job': one of {sorted(jobs)}}}")
    done = await jobs[name]()
    log.info("scheduled job %s did %d", name, done)
    return {"job": name, "done": done}


async def _drain(round_of: Callable[[], Awaitable[int]]) -> int:
    """Rounds while they come back full; how much they did in all."""
    total = 0
    for _ in range(MAX_ROUNDS):
        done = await round_of()
        total += done
        if done < BATCH:
            break
    return total
