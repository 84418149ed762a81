"""Files we create hold tokens or customer data (emails, comment bodies): owner-only, whatever the umask.

Dagster's own files (run storage, compute logs) follow the process umask; the README says how to
set it (``umask 077``) for a deployment. The instance directory we create is 0700, which covers
them where we make the directory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PRIVATE_UMASK = 0o077


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Files and directories created inside are readable by their owner only (the umask is restored).

    The umask is per process: anything another thread creates meanwhile is only made stricter.
    """
    previous = os.umask(PRIVATE_UMASK)
    os.umask(previous | PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def private_dir(path: Path) -> Path:
    """``path`` as a directory; 0700 when this call creates it (parents are the user's business)."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        with owner_only():
            path.mkdir(mode=0o700, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """``path`` as an empty file created 0600 if it does not exist (an existing one is left as it is)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return path
