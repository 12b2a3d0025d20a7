"""A random key kept in a file readable by its owner only, made on first use."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from carehub.adapters.files.private import make_private_folder


def owner_only_key(path: Path, size: int, *, what: str) -> bytes:
    """The `size`-byte key in `path` (mode 0600), made on first use; `what` names it in
    errors.

    Processes starting together may both make one: each writes its own to a temporary file
    and links it into place, which fails if the other got there first, so every process
    ends up reading the same key.
    """
    try:
        return _read_key(path, size, what)
    except FileNotFoundError:
        pass
    make_private_folder(path.parent)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(size))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)  # like O_EXCL, but the file appears already complete
    finally:
        os.unlink(temp)
    return _read_key(path, size, what)


def _read_key(path: Path, size: int, what: str) -> bytes:
    with path.open("rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if stat.S_IMODE(mode) & 0o077:
            raise ValueError(f"{what} file {path} must be readable by its owner only")
        data = file.read(size + 1)
    if len(data) != size:
        raise ValueError(f"{what} file {path} must hold {size} bytes")
    return data
