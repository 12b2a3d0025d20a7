"""Writing a file so that it appears whole or not at all, readable by its owner only."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private_file(folder: Path, name: str, data: bytes) -> None:
    """Write `data` to `folder/name` durably; the folder is made (mode 0o700) if missing."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0o600; os.replace makes it appear whole or not at all.
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
