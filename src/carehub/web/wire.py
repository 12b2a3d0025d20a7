"""Fast JSON responses: bodies built as dicts and written with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

# Times as pydantic writes them: UTC as "Z".
WIRE_JSON = orjson.OPT_UTC_Z


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, option=WIRE_JSON),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
