"""Config in, results out: pick the engine, run it, write the contract files.

This is the one place that knows both the engines and the files; the CLI and tests call it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import livesim
from livesim.core import run_core
from livesim.params import Params
from livesim.platform import RunResult
from livesim.results import SUMMARY, atomic_write, complete_summary, file_signature, read_summary, write_run

__all__ = ["CLAIM", "Progress", "RunDirConflict", "finished_run", "git_commit", "run_to_dir", "simulate"]

log = logging.getLogger(__name__)

#: In a run folder: which run is writing there (a token, process id, host and start time).
CLAIM = ".livesim_run.json"


class RunDirConflict(RuntimeError):
    """Another run wrote into (or took over) the run folder while this run was simulating."""


#: Called after each simulated active day with ``(days_done, days)``.
Progress = Callable[[int, int], None]


def simulate(params: Params, progress: Progress | None = None) -> RunResult:
    """Run one simulation with the engine ``params.engine`` names."""
    if params.engine == "mesa":
        from livesim.model import run_mesa  # mesa is imported only on this path

        return run_mesa(params, progress=progress)
    return run_core(params, progress=progress)


#: What in a checkout decides a run's results (paths from the repository's top).
_SOURCES = ("src", "configs", "scenarios", "pyproject.toml")


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the livesim source tree when it is a git checkout (else None).

    With ``-dirty`` appended when tracked files of the code, the config tree, the scenarios or the
    package definition differ from that commit: the run may then not be the commit's, and the
    report's reproducibility block says so (the README or tests do not count).
    """
    here = str(Path(livesim.__file__).resolve().parent)

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", here, *args], capture_output=True, text=True, timeout=5,
                                 check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    changes = git("status", "--porcelain", "--untracked-files=no", "--",
                  *(f":(top){part}" for part in _SOURCES))
    return f"{commit}-dirty" if changes else commit


def finished_run(params: Params, out_dir: Path) -> dict[str, Any] | None:
    """The summary of a finished run of this very config in ``out_dir`` (what a resume keeps), else None."""
    previous = complete_summary(Path(out_dir))
    return previous if _of_config(previous, params) else None


def _of_config(summary: dict[str, Any] | None, params: Params) -> bool:
    """Whether ``summary`` is a finished run of exactly ``params`` (what a resume keeps)."""
    return summary is not None and summary.get("config") == params.to_dict()


def _claim(out_dir: Path) -> dict[str, Any]:
    """Mark ``out_dir`` as this run's; a run that starts there later replaces the mark."""
    claim = {"token": uuid.uuid4().hex, "pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    atomic_write(out_dir / CLAIM, json.dumps(claim))
    return claim


def _check_still_ours(out_dir: Path, claim: dict[str, Any], summary_at_start: tuple[int, int, int] | None) -> None:
    """Raise :class:`RunDirConflict` if another run claimed ``out_dir`` or wrote its summary since we started."""
    try:
        current = json.loads((out_dir / CLAIM).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if isinstance(current, dict) and current.get("token") != claim["token"]:
        raise RunDirConflict(
            f"another livesim run (process {current.get('pid')} on {current.get('host')}) started in {out_dir} "
            "while this one ran; this run's results are not written, so as not to mix them with its. "
            "Give each run its own folder (hydra.run.dir=…)")
    if file_signature(out_dir / SUMMARY) != summary_at_start:
        raise RunDirConflict(
            f"another livesim run wrote its results to {out_dir} while this one ran; they are kept and "
            "this run's are not written. Give each run its own folder (hydra.run.dir=…)")


def run_to_dir(params: Params, out_dir: Path, *, resume: bool = True, progress: Progress | None = None,
               **extra: Any) -> dict[str, Any]:
    """Simulate and write ``summary.json``/``timeseries.csv`` into ``out_dir``; return the summary.

    With ``resume`` a directory that already holds a complete run of the same config is left as
    it is (a rerun of an interrupted sweep only runs what is missing); :func:`finished_run` tells
    beforehand whether that will happen.

    A finished run that is not resumed (another config, or ``resume=False``) is replaced, with a
    warning logged. A run never
    writes over another that used the folder at the same time: it claims the folder
    (:data:`CLAIM`) before simulating, and raises :class:`RunDirConflict` instead of writing if
    another run has claimed it or written its summary there since.
    """
    out_dir = Path(out_dir)
    summary_at_start = file_signature(out_dir / SUMMARY)
    previous = complete_summary(out_dir)
    # Resume only the very same run: a folder reused with another config is run again.
    same = _of_config(previous, params)
    if resume and same:
        return previous
    claim = _claim(out_dir)
    if previous is not None:
        log.warning("%s holds a finished run%s; this run replaces it", out_dir,
                    "" if same else " of another config")
        # Gone before this run starts: were it to fail, the old summary would pass for its result.
        (out_dir / SUMMARY).unlink(missing_ok=True)
        summary_at_start = None
    result = simulate(params, progress)
    _check_still_ours(out_dir, claim, summary_at_start)
    write_run(out_dir, result.metrics, result.daily, params.to_dict(), seed=params.seed,
              version=livesim.__version__, engine=params.engine, **extra)
    return read_summary(out_dir)
