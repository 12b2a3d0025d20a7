"""The one human line `carehub serve` prints as it starts (the logs that follow are JSON)."""

from __future__ import annotations

from pathlib import Path

CREATE_ADMIN = "users create-admin --email you@example.org --password '<12+ characters>'"


def start_line(
    *, host: str, port: int, data_dir: Path, has_admin: bool, command: str = "carehub"
) -> str:
    """Where carehub listens, where its docs and data are, and the first step when there
    is no admin yet (`command` is how the reader ran carehub, e.g. `.venv/bin/carehub`)."""
    base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    line = f"carehub serving {base} (API docs: {base}/docs), data folder {data_dir.resolve()}"
    if not has_admin:
        line += f"; no admin yet, create the first one: {command} {CREATE_ADMIN}"
    return line
