"""Build a report from a sweep directory: read, summarize, choose, draw, write."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from livesim.report.aggregate import ReportError, daily_means, load_sweep
from livesim.report.frontier import (
    DEFAULT_OBJECTIVES,
    FP_RATE,
    HARM,
    Recommendation,
    pareto_front,
    recommend,
)
from livesim.report.plots import daily_plot, outcome_plots, tradeoff_plots
from livesim.report.render import ReportContext, compose, render_html, render_markdown
from livesim.report.stats import HEADLINE_METRICS, per_seed, resolve_baseline, summarize
from livesim.results import atomic_write

__all__ = ["BuiltReport", "write_report"]


@dataclass(frozen=True)
class BuiltReport:
    """Where a report went and what it says.

    Attributes
    ----------
    html, markdown : Path
        ``report.html`` (self-contained) and ``report.md`` (links ``plots/``).
    out_dir : Path
        The directory holding them and runs.csv, summary.csv, missing.csv, plots/.
    recommendation : Recommendation
        The answer.
    n_runs, n_missing : int
        Complete runs used; runs missing or failed.
    """

    html: Path
    markdown: Path
    out_dir: Path
    recommendation: Recommendation
    n_runs: int
    n_missing: int


def _command(sweep_dir: str | Path, baseline: str | None, max_harm: float | None,
             max_fp_rate: float | None, out_dir: str | Path | None) -> str:
    """The ``livesim-report`` command line equivalent to these arguments."""
    words = ["livesim-report", str(sweep_dir)]
    for flag, value in (("--baseline", baseline), ("--max-harm", max_harm),
                        ("--max-fp-rate", max_fp_rate), ("--out", out_dir)):
        if value is not None:
            words += [flag, str(value)]
    return shlex.join(words)


def write_report(sweep_dir: str | Path, baseline: str | None = None,
                 max_harm: float | None = None, max_fp_rate: float | None = None,
                 out_dir: str | Path | None = None) -> BuiltReport:
    """Aggregate a sweep into runs.csv, summary.csv, missing.csv, plots/, report.md and .html.

    Parameters
    ----------
    sweep_dir : str or Path
        The sweep directory (Hydra's multirun output).
    baseline : str, optional
        Overrides naming the baseline point, e.g. ``"policy.risk_threshold=0.8"``; default
        the first point in sorted order.
    max_harm : float, optional
        Limit on ``harm.total`` (currency units per run).
    max_fp_rate : float, optional
        Limit on ``enforcement.fp_rate`` (share of benign accounts actioned).
    out_dir : str or Path, optional
        Where to write; default the sweep directory. Every file is written atomically.

    Returns
    -------
    BuiltReport

    Raises
    ------
    ReportError
        For user errors: missing directory, no runs, no complete run, unknown baseline, or a
        limit on a metric the runs do not report.
    """
    sweep = load_sweep(sweep_dir)
    out = Path(out_dir) if out_dir is not None else sweep.root
    atomic_write(out / "runs.csv", sweep.runs.to_csv(index=False))
    atomic_write(out / "missing.csv", sweep.missing.to_csv(index=False))
    if sweep.runs.empty:
        first = sweep.missing.iloc[0]
        raise ReportError(
            f"None of the {len(sweep.missing)} runs in {str(sweep.root)!r} completed, so there is "
            f"nothing to report. The first one, {first['run_dir'] or first['point']}, says: "
            f"{first['reason']}. All are listed in {out / 'missing.csv'}."
        )
    base = resolve_baseline(sweep, baseline)
    limits = {m: v for m, v in ((HARM, max_harm), (FP_RATE, max_fp_rate)) if v is not None}
    for metric in limits:
        if metric not in sweep.metrics:
            raise ReportError(f"A limit was given on {metric}, but the runs do not report it "
                              f"(their metrics: {', '.join(sweep.metrics)}).")

    summary = summarize(sweep, base)
    atomic_write(out / "summary.csv", summary.to_csv())
    objectives = tuple(m for m in DEFAULT_OBJECTIVES if m in sweep.metrics)
    frontier = pareto_front(summary, objectives)
    recommendation = recommend(summary, per_seed(sweep), frontier, base, limits)

    headline = tuple(m for m in HEADLINE_METRICS
                     if m in sweep.metrics and summary[f"{m}.mean"].notna().any())
    plots = [*outcome_plots(summary, sweep, headline, base, recommendation.point),
             *tradeoff_plots(summary, sweep, frontier, objectives, base, recommendation.point)]
    series = {f"baseline: {base}": daily_means(sweep, base)}
    if recommendation.point not in (None, base):
        series = {f"recommended: {recommendation.point}": daily_means(sweep, recommendation.point),
                  **series}
    daily = daily_plot(series)
    if daily is not None:
        plots.append(daily)
    for plot in plots:
        atomic_write(out / "plots" / f"{plot.name}.png", plot.png)

    context = ReportContext(
        sweep=sweep, summary=summary, frontier=frontier, objectives=objectives,
        headline=headline, baseline=base, baseline_given=baseline is not None,
        recommendation=recommendation, plots=tuple(plots),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=_command(sweep_dir, baseline, max_harm, max_fp_rate, out_dir),
    )
    blocks = compose(context)
    markdown = atomic_write(out / "report.md", render_markdown(blocks))
    html = atomic_write(out / "report.html",
                        render_html(blocks, f"livesim sweep report: {sweep.root.resolve().name}"))
    return BuiltReport(html, markdown, out, recommendation, len(sweep.runs), len(sweep.missing))
