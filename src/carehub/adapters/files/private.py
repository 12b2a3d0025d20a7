"""Folders and files under the data folder, private to the account carehub runs as.

Modes are set explicitly at creation (folders 0700, files 0600) rather than left to the
process umask: carehub also runs inside other processes (tests, a Lambda, an embedding
application) whose umask it does not own, and patient data must not turn readable because
of one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(folder: Path) -> None:
    """Make `folder` and any missing parent with mode 0700 (`mkdir(parents=True)` would
    give the parents the umask's mode)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            path.mkdir(mode=FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists, e.g. for a library that creates
    its files with its own default mode (SQLite gives its -wal and -shm files the mode of
    the database file)."""
    make_private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
