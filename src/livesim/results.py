"""The results contract on disk: ``summary.json`` and ``timeseries.csv``, written atomically.

``summary.json`` is written last, by rename, with ``"status": "complete"``; an interrupted run
never leaves one behind, and a rerun of a sweep skips directories that have one.

What counts as a finished run is decided here, once (:func:`summary_problem`): a readable
``summary.json`` holding a JSON object whose ``status`` is ``"complete"``. The runner's resume, the
sweep progress count and the report all apply that rule, so they agree on which runs are done.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shlex
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["COMPLETE", "ERROR_FILE", "SUMMARY", "SWEEP_STATE", "TIMESERIES", "atomic_write", "check_summary",
           "complete_summary", "file_signature", "is_complete", "read_summary", "read_sweep_state",
           "recorded_command", "resume_command", "resume_from_command", "summary_problem", "write_run"]

SUMMARY = "summary.json"
#: A refused or failed run's reason (first line) and a failed run's traceback; never beside a summary.
ERROR_FILE = "error.txt"
TIMESERIES = "timeseries.csv"
SWEEP_STATE = ".livesim_sweep.json"  # in a sweep folder: size, start time and command of the sweep
COMPLETE = "complete"  # the ``status`` of a finished run's summary; write_run writes nothing else


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


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
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes it private; results are shared like any file
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
    summary = {"metrics": metrics, "config": config, **extra, "status": COMPLETE}
    path = out_dir / SUMMARY
    atomic_write(path, json.dumps(_json_safe(summary), indent=2, sort_keys=False) + "\n")
    return path


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when ``path`` is rewritten (by rename: a new inode and mtime); None if absent."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def read_summary(run_dir: Path) -> dict[str, Any]:
    """Load a run's ``summary.json``."""
    return json.loads((Path(run_dir) / SUMMARY).read_text(encoding="utf-8"))


def summary_problem(summary: Any) -> str | None:
    """Why a parsed ``summary.json`` does not mark a finished run; ``None`` when it does.

    This is the one rule for "the run finished": the summary is a JSON object whose ``status`` is
    ``"complete"``. :func:`write_run` always writes that status (and always has), so a summary
    without one was not written by a finished livesim run (it is hand-made or another tool's) and
    is not counted as finished.
    """
    if not isinstance(summary, dict):
        return "unreadable summary.json (not a JSON object)"
    if "status" not in summary:
        return f"summary.json has no status (a finished run's is {COMPLETE!r})"
    status = summary["status"]
    return None if status == COMPLETE else f"status {status!r} in summary.json"


def check_summary(run_dir: Path) -> tuple[Any, str | None]:
    """Read and judge the summary in ``run_dir``: ``(summary, reason it is not finished or None)``.

    The summary is ``None`` when the file is absent or is not valid JSON; otherwise it is returned
    even when the run is not finished, so a caller can still tell which run it was.
    """
    try:
        summary = read_summary(run_dir)
    except FileNotFoundError:
        return None, "no summary.json"
    except (OSError, ValueError) as exc:
        return None, f"unreadable summary.json ({exc})"
    return summary, summary_problem(summary)


def complete_summary(run_dir: Path) -> dict[str, Any] | None:
    """The summary of the finished run in ``run_dir`` (see :func:`summary_problem`), else ``None``."""
    summary, problem = check_summary(run_dir)
    return summary if problem is None else None


def is_complete(run_dir: Path) -> bool:
    """True when ``run_dir`` holds a finished run (see :func:`summary_problem`)."""
    return complete_summary(run_dir) is not None


def read_sweep_state(sweep_dir: Path) -> dict[str, Any] | None:
    """The sweep's recorded size, start time and command (``None`` if absent or unreadable)."""
    try:
        return json.loads((Path(sweep_dir) / SWEEP_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recorded_command(sweep_dir: Path) -> str | None:
    """The command line the sweep in ``sweep_dir`` recorded at its start, or None."""
    state = read_sweep_state(sweep_dir)
    command = state.get("command") if state else None
    return command if isinstance(command, str) else None


def resume_command(overrides: Iterable[str], sweep_dir: Path) -> str:
    """``livesim -m <overrides> hydra.sweep.dir=<sweep_dir, absolute>``: resumes the sweep from anywhere.

    A sweep's own ``hydra.sweep.dir`` (perhaps relative to where it was started) and ``hydra.mode``
    are dropped from ``overrides``; finished runs are skipped by the command.
    """
    kept = [o for o in overrides if not o.startswith(("hydra.mode=", "hydra.sweep.dir="))]
    return " ".join(["livesim -m", *(shlex.quote(o) for o in kept),
                     shlex.quote(f"hydra.sweep.dir={Path(sweep_dir).resolve()}")])


def resume_from_command(command: str, sweep_dir: Path) -> str:
    """:func:`resume_command` from a sweep's recorded command line (``livesim -m …``)."""
    try:
        words = shlex.split(command)
    except ValueError:  # not a command line we wrote: keep it, and name the folder after it
        return f"{command} {shlex.quote(f'hydra.sweep.dir={Path(sweep_dir).resolve()}')}"
    return resume_command(words[2:], sweep_dir)  # past "livesim -m"
