"""Every answer the carehub test servers give, kept to check against their OpenAPI documents.

`running_server` records each response's (route template, method, status); at the end of
a run, `undeclared()` lists those the serving app's `/openapi.json` does not declare. Only
what a run exercised is checked, so a run of one file checks that file's answers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AnswerLog:
    """The answers of each recorded app, by route template, method and status."""

    def __init__(self) -> None:
        self._apps: list[FastAPI] = []
        self._answers: dict[int, set[tuple[str, str, int]]] = defaultdict(set)

    def recording(self, app: FastAPI) -> ASGIApp:
        """`app`, noting the status of each response to a request that matched a route."""
        self._apps.append(app)
        answers = self._answers[id(app)]

        async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def noting(message: Message) -> None:
                if message["type"] == "http.response.start":
                    # The router wrote the matched route into this same scope.
                    route = scope.get("route")
                    path = getattr(route, "path", None)
                    if path is not None:
                        answers.add((path, scope["method"].lower(), message["status"]))
                await send(message)

            await app(scope, receive, noting)

        return recorded

    def undeclared(self) -> list[str]:
        """`METHOD /template status` for each answer its app's document does not declare.

        Routes hidden from the document (the docs pages) and methods a path does not have
        (its 405s) are no operation of it, so they are left out.
        """
        missing: set[str] = set()
        for app in self._apps:
            paths: dict[str, Any] = app.openapi()["paths"]
            for path, method, status in self._answers[id(app)]:
                operation = paths.get(path, {}).get(method)
                if operation is not None and str(status) not in operation["responses"]:
                    missing.add(f"{method.upper()} {path} {status}")
        return sorted(missing)


ANSWERS = AnswerLog()
