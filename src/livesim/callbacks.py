"""Hydra callbacks for sweeps: a progress line per finished job, and the report at the end.

Under the joblib, Ray or submitit launchers ``on_job_end`` runs in the worker, so progress is
read from the files in the sweep directory (shared by all workers), never from memory; the
report is built once, in the parent, from the run files.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from livesim.params import ConfigError, check_value
from livesim.results import SUMMARY, SWEEP_STATE, atomic_write, is_complete, read_sweep_state

__all__ = ["SweepProgress", "SweepReport", "check_sweep_values", "count_sweep_jobs"]


def count_sweep_jobs(overrides: list[str]) -> int:
    """Number of jobs a basic sweep over ``overrides`` launches (product of the sweep sizes)."""
    total = 1
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_sweep_override():
            total *= sum(1 for _ in override.sweep_string_iterator())
    return total


def check_sweep_values(overrides: list[str]) -> None:
    """Check every value a sweep will try for schema keys, before any job starts.

    Raises :class:`~livesim.params.ConfigError` for the first out-of-range or mistyped value, so
    a sweep with one bad point stops at once instead of after the points before it.
    """
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.get_key_element()
        if override.is_sweep_override():
            try:
                values = list(override.sweep_iterator())
            except Exception:  # interval sweeps (for optimisers) have no finite list to check
                continue
        else:
            values = [override.value()]
        for value in values:
            check_value(key, value)


# summary.json path → (its stat signature, whether it marks a finished run), per process.
_verdicts: dict[Path, tuple[tuple[int, int, int], bool]] = {}


def _finished_runs(sweep_dir: Path) -> int:
    """Run folders of the sweep holding a finished run, by the rule of :func:`livesim.results.is_complete`.

    A summary is parsed once and its verdict kept until the file changes (a rewrite by rename
    gives a new inode and mtime), so a progress line after every job of a big sweep stays cheap.
    """
    done = 0
    for path in sweep_dir.glob(f"*/{SUMMARY}"):
        try:
            st = path.stat()
        except OSError:  # vanished since the glob
            continue
        signature = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = _verdicts.get(path)
        if cached is None or cached[0] != signature:
            cached = _verdicts[path] = (signature, is_complete(path.parent))
        done += cached[1]
    return done


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class SweepProgress(Callback):
    """Print ``[done/total] elapsed, time left`` after every job of a multirun."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Check every swept value, then record the sweep's size and start time in the sweep directory."""
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            check_sweep_values(list(config.hydra.overrides.task))
        except ConfigError as err:
            print(f"livesim: {err} (no run of this sweep was started)", file=sys.stderr, flush=True)
            sys.exit(2)
        try:
            # An optimising sweeper says how many trials it runs; a grid sweep is a product.
            total = int(config.hydra.sweeper.get("n_trials") or count_sweep_jobs(list(config.hydra.overrides.task)))
        except Exception:  # an exotic sweeper syntax: progress without a total
            total = 0
        done = _finished_runs(sweep_dir)
        overrides = [o for o in [*config.hydra.overrides.hydra, *config.hydra.overrides.task]
                     if not o.startswith("hydra.mode=")]  # Hydra adds it itself for -m
        command = "livesim -m " + " ".join(shlex.quote(o) for o in overrides)
        state = {"total": total, "started": time.time(), "done_at_start": done, "command": command}
        atomic_write(sweep_dir / SWEEP_STATE, json.dumps(state))
        if done:
            print(f"livesim: resuming sweep in {sweep_dir}: {done} run(s) already complete are skipped",
                  file=sys.stderr, flush=True)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Count finished runs in the sweep directory and estimate the time left."""
        sweep_dir = Path(config.hydra.sweep.dir)
        state = read_sweep_state(sweep_dir)
        if state is None:
            return
        done = _finished_runs(sweep_dir)
        total = state["total"] or 0
        new = done - state["done_at_start"]
        elapsed = time.time() - state["started"]
        line = f"[{done}/{total or '?'}] runs complete, {_duration(elapsed)} elapsed"
        if total and new > 0 and done < total:
            line += f", ~{_duration(elapsed / new * (total - done))} left"
        print(line, file=sys.stderr, flush=True)


class SweepReport(Callback):
    """Build the sweep report (``livesim-report``) once all jobs have ended."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the run files of the sweep directory into the report."""
        sweep_dir = Path(config.hydra.sweep.dir)
        if not _finished_runs(sweep_dir):
            print(f"livesim: no run of the sweep in {sweep_dir} finished, so no report was written",
                  file=sys.stderr)
            return
        try:
            from livesim.report import build_report

            html = build_report(sweep_dir)
        except Exception as err:  # every run is saved already; a report failure must not hide that
            print(f"livesim: the sweep finished but its report failed ({err}); "
                  f"retry with `livesim-report {sweep_dir}`", file=sys.stderr)
            return
        print(f"livesim: report written to {html}", file=sys.stderr)
