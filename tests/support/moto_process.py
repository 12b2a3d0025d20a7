"""The test moto server in a process of its own: `python -m tests.support.moto_process`.

In the test process, moto would share one interpreter lock with pytest, the carehub server
under test and its boto3 threads; in its own process it gets its own core. It binds a free
loopback port, writes that port on its standard output, and serves until its standard
input closes (the test session ended, or died), so it never outlives the tests.

With `--port N` (what `make moto` runs) it serves on that port until interrupted: the same
emulator, with DynamoDB's isolation, for trying carehub by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
from typing import Any

from tests.support.moto_patches import (
    answer_item_calls_as_plain_json,
    drop_per_request_overheads,
    query_without_sorting_the_table,
    serialise_dynamodb_requests,
    undo_cancelled_transactions_item_by_item,
)

SENT_SMS_PATH = "/_carehub/sent-sms"


def with_sent_sms(app: Any) -> Any:
    """`app`, answering SENT_SMS_PATH with every SMS moto's SNS was asked to send, by
    message id. moto's own `/moto-api/data.json` lists every model instance of every service,
    each DynamoDB item of the session among them: too slow to read for a few SMS."""

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != SENT_SMS_PATH:
            return app(environ, start_response)
        from moto.sns.models import sns_backends

        sent = {
            message_id: {"phone_number": number, "message": text}
            for regions in sns_backends.values()
            for backend in regions.values()
            for message_id, (number, text) in backend.sms_messages.items()
        }
        body = json.dumps(sent).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return serve


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)  # the serving thread never returns by itself


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto, as carehub's tests run it")
    parser.add_argument("--port", type=int, help="serve on this port until interrupted")
    port: int | None = parser.parse_args(argv).port
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    serialise_dynamodb_requests()
    undo_cancelled_transactions_item_by_item()
    query_without_sorting_the_table()
    answer_item_calls_as_plain_json()
    drop_per_request_overheads()
    logging.basicConfig(level=logging.WARNING)
    app = with_sent_sms(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        "127.0.0.1", port or 0, app, threaded=True, request_handler=MotoRequestHandler
    )
    if port is None:
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
        print(server.port, flush=True)
    else:
        print(f"moto serving http://127.0.0.1:{port} (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
