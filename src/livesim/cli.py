"""The ``livesim`` command: a Hydra app that runs one scenario (or a sweep with ``-m``).

Hydra lives here and in ``livesim.callbacks`` only; the library below takes plain
:class:`~livesim.params.Params`.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import livesim.configs as config_tree
from livesim.callbacks import STARTED_SWEEP, recorded_resume_command
from livesim.command_line import CONFIG_DIR, check_command_line
from livesim.commands import fresh_line
from livesim.metrics import is_shown
from livesim.params import ConfigError, params_from_dict
from livesim.results import ERROR_FILE, atomic_write, is_complete, recorded_command
from livesim.runner import RunDirConflict, finished_run, git_commit, run_to_dir

__all__ = ["CONFIG_DIR", "check_command_line", "check_main", "main"]


HEADLINE = (
    ("revenue.gross", "Gross gift value"),
    ("revenue.platform_net", "Platform net revenue"),
    ("revenue.creator_earnings", "Creator earnings"),
    ("revenue.legit_blocked", "Legitimate revenue blocked"),
    ("harm.total", "Harm (total)"),
    ("harm.laundered", "  laundered"),
    ("harm.fraud_loss", "  card-fraud loss"),
    ("harm.minor_spend", "  minors' spend"),
    ("harm.violating_gifts", "  gifts on violating streams"),
    ("harm.bot_diverted_gifts", "Gifts diverted by bots (not in harm)"),
    ("enforcement.actions", "Accounts actioned"),
    ("enforcement.false_positives", "  of which benign (FP)"),
    ("enforcement.precision", "Precision"),
    ("enforcement.recall", "Recall"),
    ("review.decisions", "Human review decisions"),
    ("review.backlog_max", "Largest review backlog"),
    ("ledger.imbalance", "Ledger imbalance"),
    ("perf.sim_seconds", "Simulation seconds"),
    ("perf.agent_steps_per_second", "Agent-steps per second"),
)


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"


def headline_table(metrics: dict[str, float | None]) -> str:
    """The short table of headline metrics printed after a run."""
    rows = [(key, label) for key, label in HEADLINE if is_shown(key, [metrics.get(key)])]
    width = max(len(label) for _, label in rows)
    return "\n".join(f"  {label:<{width}}  {_fmt(metrics.get(key))}" for key, label in rows)


#: What a run returns to a Hydra sweeper (e.g. ``hydra/sweeper=tradeoff_search``), in this order.
OBJECTIVES = ("revenue.platform_net", "harm.total", "enforcement.fp_rate")


_PROGRESS_LINE_OPEN: list[bool] = []  # a terminal's day line is drawn and not yet ended


def _day_progress() -> Callable[[int, int], None]:
    """A progress line on stderr: redrawn in place on a terminal, every tenth of the run otherwise."""
    tty = sys.stderr.isatty()

    def show(done: int, days: int) -> None:
        if tty:
            end = "\n" if done == days else ""
            print(f"\r  day {done}/{days}", end=end, file=sys.stderr, flush=True)
            _PROGRESS_LINE_OPEN[:] = [True] if done < days else []
        elif done == days or done % max(1, days // 10) == 0:
            print(f"  day {done}/{days}", file=sys.stderr, flush=True)

    return show


#: The folder of the latest single run this process ran (for the message after a Ctrl-C: Hydra puts
#: its own config back as the interrupt unwinds, so the job's cannot be read then).
_LAST_JOB: dict[str, Path | None] = {}


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def _app(cfg: DictConfig) -> tuple[float, ...] | None:
    hc = HydraConfig.get()
    warnings.formatwarning = _warning_line  # again here: under joblib, Ray or Slurm a job runs in a worker
    # Hydra sets the root logger to INFO; Mesa would then log every hourly step.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out_dir = Path(hc.runtime.output_dir)
    _LAST_JOB.update(out_dir=out_dir)
    overrides = list(hc.overrides.task)
    try:
        params = params_from_dict(OmegaConf.to_container(cfg, resolve=True))
    except ConfigError as err:
        # Leave a reason, never a summary: the run is visibly failed, not half-done.
        atomic_write(out_dir / ERROR_FILE, f"{err}\n")
        print(f"livesim: {err}", file=sys.stderr)
        sys.exit(2)
    command = "livesim " + " ".join(shlex.quote(o) for o in overrides)
    multirun = hc.mode == RunMode.MULTIRUN
    if not multirun:
        print(f"livesim: simulating {params.population.viewers:,} viewers × {params.days} days on the "
              f"{params.engine} engine…", file=sys.stderr, flush=True)
    progress = None if multirun else _day_progress()
    extra = {"sweep_command": recorded_command(Path(hc.sweep.dir))} if multirun else {}
    resumed = multirun and finished_run(params, out_dir) is not None
    try:
        summary = run_to_dir(params, out_dir, overrides=overrides, command=command.strip(),
                             git_commit=git_commit(), progress=progress, **extra)
    except RunDirConflict as err:
        print(f"livesim: {err}", file=sys.stderr)
        sys.exit(1)
    except Exception as err:  # out of memory, a full disk, a bug: say so, keep the reason, go on
        which = f"run {hc.job.num} ({' '.join(overrides)})" if multirun else "the run"
        start = fresh_line() if _PROGRESS_LINE_OPEN else ""  # end a single run's unfinished day line
        print(f"{start}livesim: {which} failed: {_failure(err, out_dir)}", file=sys.stderr, flush=True)
        if not multirun:
            sys.exit(1)
        # The sweep's other runs go on; its report lists this one as failed, with the reason.
        # No objectives: an optimising sweeper (Optuna) then records a failed trial and goes on.
        return None
    (out_dir / ERROR_FILE).unlink(missing_ok=True)  # a reason left by an earlier failed attempt
    m = summary["metrics"]
    objectives = tuple(float(m[k] or 0.0) for k in OBJECTIVES)
    if multirun:
        if not resumed:  # a run kept from before gets the sweep's "already complete, skipped" line
            print(f"  run {hc.job.num}: {' '.join(overrides)} → net {_fmt(m['revenue.platform_net'])}, "
                  f"harm {_fmt(m['harm.total'])}, FP {_fmt(m['enforcement.false_positives'])}", flush=True)
        return objectives
    print(f"livesim: scenario '{params.scenario}', policy '{params.policy.name}', engine "
          f"{params.engine}, {params.population.viewers:,} viewers × {params.days} days, seed {params.seed}")
    print(headline_table(summary["metrics"]))
    print(f"Results: {out_dir}")
    return objectives


def _failure(err: Exception, out_dir: Path) -> str:
    """Keep a failure's reason and traceback in ``out_dir`` (a run's folder, or a stopped sweep's).

    Returns the reason and where the traceback is, for the one line that reports the failure.
    """
    reason = _reason(err)
    try:
        atomic_write(out_dir / ERROR_FILE, f"{reason}\n\n{traceback.format_exc()}")
    except OSError as write_err:  # e.g. the disk that made the run fail is full
        return f"{reason} (its reason could not be saved: {write_err.strerror})"
    return f"{reason} (traceback in {out_dir / ERROR_FILE})"


def _reason(err: Exception) -> str:
    """The exception in one line (it heads error.txt and the report's missing list), at most 300 characters."""
    reason = " ".join((f"{type(err).__name__}: {err}" if str(err) else type(err).__name__).split())
    return reason if len(reason) <= 300 else reason[:297] + "…"


def _interrupted(multirun: bool) -> str:
    """What a Ctrl-C left behind, in one line."""
    if multirun:
        sweep_dir = STARTED_SWEEP.get("dir")  # recorded by the sweep callback in this (the parent) process
        return f"interrupted; {_kept(sweep_dir)}"
    out_dir = _LAST_JOB.get("out_dir")
    if out_dir is not None and is_complete(out_dir):
        return f"interrupted after the run finished; its results are in {out_dir}"
    return "interrupted; the run did not finish and wrote no summary.json"


def _kept(sweep_dir: Path | None) -> str:
    command = recorded_resume_command(sweep_dir) if sweep_dir else None
    if command:
        return f"finished runs are kept — resume with: {command}"
    folder = shlex.quote(str(sweep_dir.resolve())) if sweep_dir else "<the sweep's folder>"
    return f"finished runs are kept — rerun the same command with hydra.sweep.dir={folder} to resume"


def main(argv: list[str] | None = None) -> None:
    """Console entry point of ``livesim``: check the command line, then let Hydra run it.

    ``argv`` (the arguments after the program name) defaults to ``sys.argv[1:]``; Hydra reads
    ``sys.argv``, so a given ``argv`` replaces it.
    """
    from hydra._internal.utils import get_args_parser  # the parser hydra.main uses

    if argv is not None:
        sys.argv = [sys.argv[0] if sys.argv else "livesim", *argv]
    args = get_args_parser().parse_args(sys.argv[1:])  # a bad flag exits here as it would in Hydra
    multirun = bool(args.multirun) or "hydra.mode=MULTIRUN" in args.overrides
    own_tree = not (args.help or args.hydra_help or args.shell_completion or args.info or args.config_path
                    or args.config_name or args.config_dir or args.experimental_rerun)
    # A process may call main more than once (tests do): nothing of an earlier call carries over.
    _INTERRUPTED.clear()
    _LAST_JOB.clear()
    _PROGRESS_LINE_OPEN.clear()
    STARTED_SWEEP.clear()
    user_full_error = os.environ.get("HYDRA_FULL_ERROR")
    own_full_error = user_full_error != "1"  # unless the user asked Hydra for full errors, a sweep's come here
    in_main_thread = threading.current_thread() is threading.main_thread()  # signals need it
    previous_handler = signal.signal(signal.SIGINT, _note_interrupt) if in_main_thread else None
    previous_format, warnings.formatwarning = warnings.formatwarning, _warning_line
    config_tree.settings["create_folders"] = not args.cfg  # --cfg shows the config: no run folder
    try:
        if own_tree:  # not help, nor another config tree (Hydra's alone)
            try:
                check_command_line(args.overrides, multirun=multirun)
            except ConfigError as err:
                tail = " (no run of this sweep was started)" if multirun else ""
                print(f"livesim: {err}{tail}", file=sys.stderr)
                sys.exit(2)
        if multirun and own_full_error:
            os.environ["HYDRA_FULL_ERROR"] = "1"  # a sweep's failure comes back here, to be told in one line
        _app()
    except KeyboardInterrupt:
        _exit_interrupted(multirun)
    except SystemExit as stop:
        # A Ctrl-C that lands while Hydra sets a job up can surface as Hydra's own error and exit
        # status 1: it is still an interrupt.
        if _INTERRUPTED and stop.code not in (0, None):
            _exit_interrupted(multirun)
        if multirun and stop.code not in (0, None) and STARTED_SWEEP.get("dir"):
            print(f"livesim: the sweep stopped before its end; {_kept(STARTED_SWEEP['dir'])}",
                  file=sys.stderr, flush=True)
        raise
    except Exception as err:
        if _INTERRUPTED:
            # A Ctrl-C inside a library's clean-up can come back as that library's error (e.g.
            # Hydra's ConfigCompositionException while it composes the next job): an interrupt.
            _exit_interrupted(multirun)
        if not (multirun and own_full_error):
            raise  # the user asked Hydra for full errors: theirs
        # Hydra stopped the sweep (e.g. a joblib worker process was killed): its runs are on disk.
        sweep_dir = STARTED_SWEEP.get("dir")
        where = _failure(err, sweep_dir) if sweep_dir else _reason(err)
        kept = f"; {_kept(sweep_dir)}" if sweep_dir else " (no run of this sweep was started)"
        print(f"livesim: the sweep stopped before its end: {where}{kept}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        if multirun and own_full_error:  # as the user had it
            os.environ.pop("HYDRA_FULL_ERROR", None)
            if user_full_error is not None:
                os.environ["HYDRA_FULL_ERROR"] = user_full_error
        warnings.formatwarning = previous_format
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    if multirun and STARTED_SWEEP.get("incomplete"):
        sys.exit(1)  # the report (if any) is marked INCOMPLETE and says which runs are missing


def _warning_line(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> str:
    """A warning as the command's own line (a user acts on the message, not on our source line)."""
    return f"livesim: warning: {message}\n"


_INTERRUPTED: list[bool] = []  # a SIGINT arrived (whatever became of its KeyboardInterrupt)


def _note_interrupt(signum: int, frame: object) -> None:
    _INTERRUPTED.append(True)
    raise KeyboardInterrupt


def _exit_interrupted(multirun: bool) -> None:
    print(f"{fresh_line()}livesim: {_interrupted(multirun)}", file=sys.stderr, flush=True)
    sys.exit(130)


if __name__ == "__main__":
    main()


CHECK_USAGE = """usage: livesim-check [overrides...]

Check that a configuration (typically your own scenario) satisfies livesim's run contract:
same seed → identical results, another seed → different ones, the ledger balances at every
tick, every metric is reported with sane signs and ranges, TP + FP = actions, every bad-actor
typology asked for has accounts at this population size, and harm (or enforcement against bad
actors) appears exactly when the world has some. Takes the same overrides as `livesim`, e.g.

  livesim-check scenario=my_case
  livesim-check scenario=my_case engine=mesa population.viewers=20000 days=3

It runs the configuration three times and writes nothing. Exit status: 0 all checks passed,
1 a check failed, 2 the configuration is invalid."""


def check_main(argv: list[str] | None = None) -> int:
    """Console entry point of ``livesim-check``: run :func:`livesim.checks.check_scenario`."""
    overrides = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in overrides):
        print(CHECK_USAGE)
        return 0
    warnings.formatwarning = _warning_line
    try:
        return _check(overrides)
    except KeyboardInterrupt:
        print(f"{fresh_line()}livesim-check: interrupted (it writes nothing, so nothing is left behind)",
              file=sys.stderr)
        return 130


def _check(overrides: list[str]) -> int:
    from livesim.checks import check_scenario

    try:
        params = check_command_line(overrides)
    except ConfigError as err:  # a typo, a wrong value, an unknown option, a broken scenario file
        print(f"livesim-check: {err}", file=sys.stderr)
        return 2
    print(f"livesim-check: scenario '{params.scenario}', policy '{params.policy.name}', engine {params.engine}, "
          f"{params.population.viewers:,} viewers × {params.days} day{'s' * (params.days != 1)}, "
          f"seeds {params.seed} and {params.seed + 1}")
    checks = check_scenario(params)
    for c in checks:
        print(f"  [{'ok' if c.passed else 'FAIL'}] {c.name}: {c.detail}")
    failed = [c for c in checks if not c.passed]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
