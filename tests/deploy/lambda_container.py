"""One Lambda container of carehub's, as a process: `python -m tests.deploy.lambda_container
MODULE.FUNCTION` imports the handler, then reads one JSON event a line from its standard
input, invokes the handler with it, and writes one JSON line: `{"result": ...}`, or
`{"error": "<type>"}` when the handler raised (Lambda's "function error").

A process per function, as Lambda runs them: each keeps its own environment (its
`CAREHUB_CONSUMER`, say) and its wiring between invocations, built on the first."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Context:
    """The parts of Lambda's context object handlers read."""

    function_name: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 30.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000)


def main() -> None:
    # Answers keep the standard output; whatever the handler logs or prints goes to the
    # standard error, as a function's logs go to CloudWatch rather than to its invoker.
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    path = sys.argv[1]
    module, _, name = path.rpartition(".")
    handler = getattr(importlib.import_module(module), name)
    for line in sys.stdin:
        event = json.loads(line)
        try:
            answer: dict[str, Any] = {"result": handler(event, Context(function_name=path))}
        except Exception as exc:  # the invoker sees a function error, as Lambda reports it
            traceback.print_exc(file=sys.stderr)
            answer = {"error": type(exc).__name__}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
