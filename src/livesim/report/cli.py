"""``livesim-report``: turn a sweep directory into a report a policy proposal can attach."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap

from livesim.commands import fresh_line
from livesim.report.aggregate import ReportError
from livesim.report.build import accepted_limit, write_report

__all__ = ["main"]

_DESCRIPTION = """\
Aggregate a livesim sweep (the directory `livesim -m ...` wrote, e.g.
results/multirun/2026-11-26/10-00-00) into a report for a policy proposal.

For every policy point (a combination of the swept levers, seeds pooled) it gives the mean
of each outcome over seeds with a 95 % confidence interval, and the difference from a
baseline point paired by seed: runs with the same seed share their simulated population and
random draws, so the paired difference isolates the policy's effect. It draws the outcomes
against the lever, the revenue-harm and revenue-false-positive trade-offs with their Pareto
frontier, and recommends the point with the highest mean platform net revenue whose harm and
false-positive rate stay below your limits with 95 % confidence. Without limits it recommends
nothing: it names the frontier point with the highest platform net, as such.

Only policy settings (policy.*, and the detector's calibration and rules) are levers. A sweep
that also varies the simulated world (scenario, population.*, economy.*, actors.*, days, ...)
is reported world by world, each with its own baseline and answer, never paired across worlds.
DIR must be one sweep: a single run folder, or a folder holding several sweeps, is refused.

An incomplete sweep (runs missing or failed) still gets its report, marked INCOMPLETE, with no
recommendation while some policy point has no complete run; the exit status is then 3.

Writes into DIR (or --out): report.html (self-contained, attach this), report.md, plots/,
runs.csv (one row per run), summary.csv (per point), missing.csv (failed or missing runs),
report_options.json (this call's baseline and limits: a resumed sweep's rebuild keeps them).
Nothing is written when the call is refused (exit status 2)."""

_EPILOG = """\
examples:
  livesim-report results/multirun/2026-11-26/10-00-00
  livesim-report DIR --baseline "policy.risk_threshold=0.8" --max-harm 5000 --max-fp-rate 0.01

exit status: 0 report written; 3 report written, but the sweep is INCOMPLETE (runs missing or
failed: resume it, then rebuild the report); 2 refused, nothing written (bad directory, a single
run or several sweeps, no complete run, unknown baseline, bad limit); 1 unexpected failure."""


def _limit(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number ≥ 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livesim-report", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", metavar="DIR", help="the sweep directory to report on")
    parser.add_argument(
        "--baseline", metavar="OVERRIDES",
        help='the point to compare against, as overrides, e.g. "policy.risk_threshold=0.8" '
             '(several levers: "policy.risk_threshold=0.8 policy.payout_hold_days=7"); '
             "default: the first point in sorted order")
    parser.add_argument(
        "--max-harm", metavar="X", type=_limit,
        help="largest acceptable harm.total per run (currency units); a point qualifies only "
             "if the upper end of its 95 %% CI is below X")
    parser.add_argument(
        "--max-fp-rate", metavar="X", type=_limit,
        help="largest acceptable enforcement.fp_rate (share of benign accounts actioned, "
             "0 to 1); same 95 %% rule")
    parser.add_argument("--out", metavar="DIR",
                        help="write the report here instead of into the sweep directory")
    return parser


def _error(message: str) -> int:
    print(_wrap(f"livesim-report: error: {message}"), file=sys.stderr)
    return 2


def _wrap(text: str) -> str:
    """One paragraph for the terminal, never breaking a path or a command inside a word."""
    return textwrap.fill(text, width=100, subsequent_indent="  ", break_long_words=False,
                         break_on_hyphens=False)


INCOMPLETE = 3
"""Exit status when the report was written but the sweep is incomplete."""


def main(argv: list[str] | None = None) -> int:
    """Run ``livesim-report``; return the exit status (0 ok, 3 incomplete sweep, 2 user error).

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    if args.max_fp_rate is not None and not accepted_limit("max_fp_rate", args.max_fp_rate):
        return _error(f"--max-fp-rate {args.max_fp_rate:g} is a share of benign accounts and "
                      "must be between 0 and 1 (e.g. 0.01 for 1 %).")
    try:
        report = write_report(args.dir, baseline=args.baseline, max_harm=args.max_harm,
                       max_fp_rate=args.max_fp_rate, out_dir=args.out)
    except ReportError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print(f"{fresh_line()}livesim-report: interrupted; no new report was completed (files of an earlier "
              "report may be left as they were) — rerun the same command to build it", file=sys.stderr)
        return 130
    print(f"Report written to {report.html}")
    print(f"  (also report.md, plots/, runs.csv, summary.csv, missing.csv and report_options.json in {report.out_dir};"
          f" {report.n_runs} complete runs)")
    if len(report.worlds) > 1:
        print(report.recommendation.headline.split(" (", 1)[0] + ":")
        for label, rec in report.worlds:
            print(f"  {label}: {rec.headline}")
    else:
        print(report.recommendation.headline)
    if report.incomplete:
        print(_wrap(f"livesim-report: warning: {report.status}"), file=sys.stderr)
        return INCOMPLETE
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
