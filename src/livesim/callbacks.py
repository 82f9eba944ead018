"""Hydra callbacks for sweeps: a progress line per finished job, and the report at the end.

Under the joblib, Ray or submitit launchers ``on_job_end`` runs in the worker, so progress is
read from the files in the sweep directory (shared by all workers), never from memory; the
report is built once, in the parent, from the run files.

Progress counts only the run folders of the sweep being run (its grid, recorded in the sweep
state file at the start), so a sweep resumed in a folder that holds runs of a wider grid never
counts more runs than it has.
"""

from __future__ import annotations

import copy
import json
import shlex
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from livesim.results import (
    ERROR_FILE,
    SUMMARY,
    SWEEP_STATE,
    atomic_write,
    file_signature,
    is_complete,
    read_sweep_state,
    recorded_command,
    resume_command,
    resume_from_command,
)

__all__ = ["SweepProgress", "SweepReport", "count_sweep_jobs"]


def _overrides(config: DictConfig, which: str) -> list[str]:
    """The command line's ``task`` or ``hydra`` overrides as typed (``${...}`` left unresolved)."""
    return list(OmegaConf.to_container(config.hydra.overrides[which], resolve=False))


def count_sweep_jobs(overrides: list[str]) -> int:
    """Number of jobs a basic sweep over ``overrides`` launches (product of the sweep sizes)."""
    total = 1
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_sweep_override():
            total *= sum(1 for _ in override.sweep_string_iterator())
    return total


def _grid_job_dirs(config: DictConfig) -> list[str] | None:
    """The run folders (relative to the sweep folder) of the jobs this sweep launches, in job order.

    Expands the sweep as Hydra's basic sweeper does (its ``params`` then the task overrides,
    as a product) and names each job's folder by resolving ``hydra.sweep.subdir`` with that job's
    ``hydra.job.num`` and ``hydra.job.override_dirname``. ``None`` when the jobs cannot be known in
    advance: another sweeper (an optimiser picks its own points) or a sweep it cannot expand.
    """
    try:
        from hydra._internal.config_loader_impl import get_overrides_dirname
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

        if not str(config.hydra.sweeper.get("_target_") or "BasicSweeper").endswith("BasicSweeper"):
            return None
        parser = OverridesParser.create()
        params = config.hydra.sweeper.get("params") or {}
        strings = [f"{k}={v}" for k, v in params.items()] + _overrides(config, "task")
        (jobs,) = BasicSweeper.split_arguments(parser.parse_overrides(strings), None)
        naming = config.hydra.job.config.override_dirname
        job_cfg = copy.deepcopy(config)
        names = []
        with read_write(job_cfg), open_dict(job_cfg):
            for num, job in enumerate(jobs):
                job_cfg.hydra.job.num = job_cfg.hydra.job.id = num
                job_cfg.hydra.job.override_dirname = get_overrides_dirname(
                    overrides=parser.parse_overrides(job), exclude_keys=list(naming.exclude_keys),
                    item_sep=naming.item_sep, kv_sep=naming.kv_sep)
                names.append(str(job_cfg.hydra.sweep.subdir))
    except Exception:  # an exotic sweeper, sweep syntax or folder pattern: count every folder
        return None
    return names


#: The sweep this process started: ``dir``, its folder (the Ctrl-C message names it even when no job
#: ran here: before the first job, or with the jobs in worker processes), and ``incomplete``, set
#: when the sweep ended without a complete report (runs failed or missing, or no report), which
#: makes ``livesim`` exit with status 1.
STARTED_SWEEP: dict[str, Any] = {}

# summary.json path → (its stat signature, whether it marks a finished run), per process.
_verdicts: dict[Path, tuple[tuple[int, int, int], bool]] = {}


def _finished_runs(sweep_dir: Path, job_dirs: Iterable[str] | None = None) -> int:
    """Run folders of the sweep holding a finished run, by the rule of :func:`livesim.results.is_complete`.

    Only the folders ``job_dirs`` (the sweep's grid, see :func:`_grid_job_dirs`) are looked at;
    without them, every folder of ``sweep_dir``. A summary is parsed once and its verdict kept
    until the file changes, so a progress line after every job of a big sweep stays cheap.
    """
    done = 0
    for path in _run_files(sweep_dir, job_dirs, SUMMARY):
        signature = file_signature(path)
        if signature is None:  # absent, or vanished since the glob
            continue
        cached = _verdicts.get(path)
        if cached is None or cached[0] != signature:
            cached = _verdicts[path] = (signature, is_complete(path.parent))
        done += cached[1]
    return done


def _run_files(sweep_dir: Path, job_dirs: Iterable[str] | None, name: str) -> Iterable[Path]:
    """File ``name`` of each of the sweep's run folders ``job_dirs`` (by default every folder that has one)."""
    return sweep_dir.glob(f"*/{name}") if job_dirs is None else (sweep_dir / d / name for d in job_dirs)


def _failed_runs(sweep_dir: Path, job_dirs: Iterable[str] | None, since: float = 0.0) -> int:
    """Run folders of the sweep whose run failed since ``since`` (an error.txt, written then, and no summary).

    An older error.txt is a failure of an earlier attempt that this sweep is to run again.
    """
    failed = 0
    for path in _run_files(sweep_dir, job_dirs, ERROR_FILE):
        signature = file_signature(path)
        if signature is not None and signature[1] / 1e9 >= since and not is_complete(path.parent):
            failed += 1
    return failed


def _is_multirun(config: DictConfig) -> bool:
    return OmegaConf.select(config, "hydra.mode") == RunMode.MULTIRUN


def _resume_command(config: DictConfig, sweep_dir: Path) -> str:
    """The command that reruns this sweep in ``sweep_dir``, skipping the runs already complete."""
    return resume_command([*_overrides(config, "task"), *_overrides(config, "hydra")], sweep_dir)


def recorded_resume_command(sweep_dir: Path) -> str | None:
    """The resume command of the sweep in ``sweep_dir``, from the command its start recorded there.

    For the parent process after the sweep stopped (a Ctrl-C, a failure Hydra reports), when the
    sweep's config is no longer at hand. None if nothing was recorded.
    """
    command = recorded_command(sweep_dir)
    return resume_from_command(command, sweep_dir) if command is not None else None


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class SweepProgress(Callback):
    """Print where the sweep writes and how to resume it, then ``[done/total]`` after every job."""

    def __init__(self) -> None:
        # run folder → signature of its summary.json when the job started (to tell a skipped job).
        self._at_start: dict[str, tuple[int, int, int] | None] = {}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Record the sweep's runs, start time and resume command in the sweep directory, and say where it writes."""
        # Every swept value (and every combination) was checked before Hydra started: see
        # livesim.command_line.check_command_line.
        sweep_dir = Path(config.hydra.sweep.dir)
        jobs = _grid_job_dirs(config)
        try:
            # A grid sweep's runs are known; an optimising sweeper says how many trials it runs.
            total = len(jobs) if jobs is not None else int(
                config.hydra.sweeper.get("n_trials") or count_sweep_jobs(_overrides(config, "task")))
        except Exception:  # an exotic sweeper syntax: progress without a total
            total = 0
        done = _finished_runs(sweep_dir, jobs)
        if jobs is None and total:
            done = min(done, total)
        overrides = [o for o in [*_overrides(config, "hydra"), *_overrides(config, "task")]
                     if not o.startswith("hydra.mode=")]  # Hydra adds it itself for -m
        command = "livesim -m " + " ".join(shlex.quote(o) for o in overrides)
        state = {"total": total, "started": time.time(), "done_at_start": done, "command": command,
                 "jobs": jobs}
        atomic_write(sweep_dir / SWEEP_STATE, json.dumps(state))
        (sweep_dir / ERROR_FILE).unlink(missing_ok=True)  # why an earlier attempt of the sweep stopped
        STARTED_SWEEP["dir"] = sweep_dir.resolve()
        size = f"{total} run{'s' * (total != 1)}" if total else "runs"
        print(f"livesim: sweep of {size} in {sweep_dir.resolve()}; if interrupted, resume with: "
              f"{_resume_command(config, sweep_dir.resolve())}", file=sys.stderr, flush=True)
        if done and jobs is not None:
            print(f"livesim: resuming sweep in {sweep_dir}: {done} run(s) already complete are skipped, "
                  f"{total - done} to run", file=sys.stderr, flush=True)
        elif done:
            print(f"livesim: the sweep folder {sweep_dir} already holds {done} finished run(s); "
                  "a run with the same overrides as one of them is skipped", file=sys.stderr, flush=True)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Note the job's summary as it is before the job (a skipped job leaves it untouched)."""
        if _is_multirun(config):
            out_dir = str(config.hydra.runtime.output_dir)
            self._at_start[out_dir] = file_signature(Path(out_dir) / SUMMARY)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Say a job was skipped, or count finished runs of the sweep and estimate the time left."""
        if not _is_multirun(config):  # a single run: no sweep folder to look at (or to create)
            return
        sweep_dir = Path(config.hydra.sweep.dir)
        state = read_sweep_state(sweep_dir)
        if state is None:
            return
        out_dir = str(config.hydra.runtime.output_dir)
        before = self._at_start.pop(out_dir, None)
        if (getattr(job_return, "status", None) == JobStatus.COMPLETED and before is not None
                and file_signature(Path(out_dir) / SUMMARY) == before and is_complete(Path(out_dir))):
            print(f"  run {config.hydra.job.num}: {' '.join(_overrides(config, 'task'))} "
                  "already complete, skipped", file=sys.stderr, flush=True)
            return
        total = state.get("total") or 0
        done = _finished_runs(sweep_dir, state.get("jobs"))
        failed = _failed_runs(sweep_dir, state.get("jobs"), since=state["started"])
        if total:
            done = min(done, total)
            failed = min(failed, total - done)
        ended = done - (state.get("done_at_start") or 0) + failed  # runs this sweep has ended
        elapsed = time.time() - state["started"]
        line = f"[{done}/{total or '?'}] runs complete"
        if failed:
            line += f", {failed} failed"
        line += f", {_duration(elapsed)} elapsed"
        if total and ended > 0 and done + failed < total:
            line += f", ~{_duration(elapsed / ended * (total - done - failed))} left"
        print(line, file=sys.stderr, flush=True)


class SweepReport(Callback):
    """Build the sweep report (``livesim-report``) once all jobs have ended."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Aggregate the run files of the sweep directory into the report."""
        sweep_dir = Path(config.hydra.sweep.dir)
        if not _finished_runs(sweep_dir):  # any finished run, this grid's or not: the report reads them all
            STARTED_SWEEP["incomplete"] = True
            failed = _failed_runs(sweep_dir, None)
            why = f" ({failed} failed: see the {ERROR_FILE} in their folders)" if failed else ""
            print(f"livesim: no run of the sweep in {sweep_dir.resolve()} finished{why}, so no report was "
                  f"written; once what stopped them is fixed, resume with: "
                  f"{_resume_command(config, sweep_dir.resolve())}", file=sys.stderr)
            return
        try:
            from livesim.report.build import rebuild_report

            report, kept = rebuild_report(sweep_dir.resolve())  # an absolute path: it is printed
        except Exception as err:  # every run is saved already; a report failure must not hide that
            STARTED_SWEEP["incomplete"] = True
            print(f"livesim: the sweep finished but its report failed ({err}); "
                  f"retry with `livesim-report {sweep_dir}`", file=sys.stderr)
            return
        if report.incomplete:
            STARTED_SWEEP["incomplete"] = True
            print(f"livesim: report written to {report.html}{kept}, marked INCOMPLETE: only {report.n_runs} of "
                  f"{report.n_planned} planned runs finished (see missing.csv); once what stopped them "
                  f"is fixed, resume with: {_resume_command(config, sweep_dir.resolve())}", file=sys.stderr)
        else:
            print(f"livesim: report written to {report.html}{kept}", file=sys.stderr)
