"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    Parameters
    ----------
    path : Path
        Destination file. Its parent directory is created if needed.
    data : bytes or str
        Contents; text is encoded as UTF-8.

    Returns
    -------
    Path
        ``path``, for chaining.

    Notes
    -----
    The temporary file is created with ordinary permissions (the process umask applies), then
    moved over ``path`` with :func:`os.replace`, which is atomic on POSIX and Windows when both
    names are on the same file system.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
