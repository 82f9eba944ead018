"""Config in, results out: pick the engine, run it, write the contract files.

This is the one place that knows both the engines and the files; the CLI and tests call it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import livesim
from livesim.core import run_core
from livesim.params import Params
from livesim.platform import RunResult
from livesim.results import complete_summary, read_summary, write_run

__all__ = ["Progress", "git_commit", "run_to_dir", "simulate"]


#: Called after each simulated active day with ``(days_done, days)``.
Progress = Callable[[int, int], None]


def simulate(params: Params, progress: Progress | None = None) -> RunResult:
    """Run one simulation with the engine ``params.engine`` names."""
    if params.engine == "mesa":
        from livesim.model import run_mesa  # mesa is imported only on this path

        return run_mesa(params, progress=progress)
    return run_core(params, progress=progress)


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the livesim source tree, when it is a git checkout (else None)."""
    here = Path(livesim.__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def run_to_dir(params: Params, out_dir: Path, *, resume: bool = True, progress: Progress | None = None,
               **extra: Any) -> dict[str, Any]:
    """Simulate and write ``summary.json``/``timeseries.csv`` into ``out_dir``; return the summary.

    With ``resume`` a directory that already holds a complete run of the same config is left as
    it is (a rerun of an interrupted sweep only runs what is missing).
    """
    out_dir = Path(out_dir)
    config = params.to_dict()
    # Resume only the very same run: a folder reused with another config is run again.
    previous = complete_summary(out_dir) if resume else None
    if previous is not None and previous.get("config") == config:
        return previous
    result = simulate(params, progress)
    write_run(out_dir, result.metrics, result.daily, config, seed=params.seed,
              version=livesim.__version__, engine=params.engine, **extra)
    return read_summary(out_dir)
