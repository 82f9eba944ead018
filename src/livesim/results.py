"""The results contract on disk: ``summary.json`` and ``timeseries.csv``, written atomically.

``summary.json`` is written last, by rename, so its presence means the run finished; an
interrupted run never leaves one behind, and a rerun of a sweep skips directories that have it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["SUMMARY", "SWEEP_STATE", "TIMESERIES", "atomic_write", "complete_summary", "is_complete",
           "read_summary", "read_sweep_state", "write_run"]

SUMMARY = "summary.json"
TIMESERIES = "timeseries.csv"
SWEEP_STATE = ".livesim_sweep.json"  # in a sweep folder: size, start time and command of the sweep


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file and a rename; return ``path``.

    A reader sees the old file or the new one, never half of either; a failed write leaves
    neither a partial file nor the temporary behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def write_run(out_dir: Path, metrics: dict[str, Any], daily: list[dict[str, float]],
              config: dict[str, Any], **extra: Any) -> Path:
    """Write ``timeseries.csv`` then ``summary.json`` into ``out_dir``; return the summary path.

    ``extra`` adds top-level fields to the summary (``seed``, ``version``, ``overrides``,
    ``command``, ``git_commit``…).
    """
    out_dir = Path(out_dir)
    buf = io.StringIO()
    if daily:
        writer = csv.DictWriter(buf, fieldnames=list(daily[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(daily)
    atomic_write(out_dir / TIMESERIES, buf.getvalue())
    summary = {"metrics": metrics, "config": config, **extra, "status": "complete"}
    path = out_dir / SUMMARY
    atomic_write(path, json.dumps(_json_safe(summary), indent=2, sort_keys=False) + "\n")
    return path


def read_summary(run_dir: Path) -> dict[str, Any]:
    """Load a run's ``summary.json``."""
    return json.loads((Path(run_dir) / SUMMARY).read_text(encoding="utf-8"))


def complete_summary(run_dir: Path) -> dict[str, Any] | None:
    """The summary of the finished run in ``run_dir`` (readable and marked complete), else ``None``."""
    try:
        summary = read_summary(run_dir)
    except (OSError, ValueError):
        return None
    return summary if summary.get("status") == "complete" else None


def is_complete(run_dir: Path) -> bool:
    """True when ``run_dir`` holds a finished run (a readable summary marked complete)."""
    return complete_summary(run_dir) is not None


def read_sweep_state(sweep_dir: Path) -> dict[str, Any] | None:
    """The sweep's recorded size, start time and command (``None`` if absent or unreadable)."""
    try:
        return json.loads((Path(sweep_dir) / SWEEP_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
