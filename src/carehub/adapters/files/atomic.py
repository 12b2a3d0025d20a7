"""Writing a file so that it appears whole or not at all, readable by its owner only."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from carehub.adapters.files.private import make_private_folder


def write_private_file(folder: Path, name: str, data: bytes) -> None:
    """Write `data` to `folder/name` durably; the folder is made (mode 0o700) if missing."""
    make_private_folder(folder)
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
