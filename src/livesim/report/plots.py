"""Charts for the report, as PNG bytes: outcomes against the lever, trade-offs, daily series.

Figures are drawn with matplotlib's object-oriented API on the Agg canvas (no ``pyplot``), so
building a report never changes the caller's matplotlib backend or leaks open figures.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from livesim.metrics import METRICS
from livesim.report.aggregate import Sweep, format_override, value_sort_key
from livesim.report.frontier import NET, direction

__all__ = [
    "DAILY_PLOT_COLUMNS",
    "Plot",
    "daily_plot",
    "metric_unit",
    "numeric_lever",
    "outcome_plots",
    "tradeoff_plots",
]

DAILY_PLOT_COLUMNS: tuple[str, ...] = (
    "revenue.gross", "revenue.platform_net", "harm.total", "enforcement.actions", "review.backlog",
)
"""``timeseries.csv`` columns drawn in the daily plot, when present."""

RUNOFF = "runoff"
"""``timeseries.csv`` column flagging run-off days (1) after the last active day."""
_UNIT_WORDS = {"currency": "currency units", "ratio": "fraction"}
_MAX_LEGEND = 12
_MAX_ANNOTATED = 30


@dataclass(frozen=True)
class Plot:
    """One chart: ``name`` is its file stem, ``png`` the image bytes."""

    name: str
    title: str
    caption: str
    png: bytes


def metric_unit(metric: str) -> str:
    """The unit of a metric (or of a daily column of the same name).

    From :data:`livesim.metrics.METRICS` when it knows the key, else by family.
    """
    if metric in METRICS:
        unit = METRICS[metric].unit
        return _UNIT_WORDS.get(unit, unit)
    if metric.startswith(("revenue.", "harm.", "ledger.")):
        return "currency units"
    if metric.startswith(("enforcement.", "review.")):
        return "accounts"
    return "as reported"


def _axis_label(metric: str) -> str:
    better = {1: ", higher is better", -1: ", lower is better"}.get(direction(metric), "")
    return f"{metric} ({metric_unit(metric)}{better})"


def _lever_label(lever: str) -> str:
    if lever.endswith("_days"):
        return f"{lever} (days)"
    if "threshold" in lever:
        return f"{lever} (calibrated risk)"
    if lever.endswith("_cap"):
        return f"{lever} (currency units)"
    return lever


def numeric_lever(sweep: Sweep) -> str | None:
    """The numeric lever with the most distinct values (the x axis), or None if there is none."""
    best, best_count = None, 1
    for lever in sweep.levers:
        values = [sweep.point_values[p].get(lever) for p in sweep.points]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        count = len(set(values))
        if numeric and count > best_count:
            best, best_count = lever, count
    return best


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _mark(ax: Axes, xs: Mapping[str, float], ys: Mapping[str, float], baseline: str,
          recommended: str | None, star: str = "recommended") -> None:
    """Mark the baseline (square) and the recommended (or highlighted) point (star)."""
    if baseline in xs:
        ax.plot([xs[baseline]], [ys[baseline]], "s", ms=11, mfc="none", mec="black", mew=1.5,
                label=f"baseline ({baseline})", zorder=5)
    if recommended is not None and recommended in xs:
        ax.plot([xs[recommended]], [ys[recommended]], "*", ms=16, color="goldenrod",
                mec="black", label=f"{star} ({recommended})", zorder=6)


def _titled(title: str, world: str) -> str:
    return f"{title} — {world}" if world else title


def _n_text(summary: pd.DataFrame, metric: str) -> str:
    n = summary[f"{metric}.n"]
    return f"n = {int(n.min())}" if n.min() == n.max() else f"n = {int(n.min())}–{int(n.max())}"


def outcome_plots(summary: pd.DataFrame, sweep: Sweep, metrics: Sequence[str], baseline: str,
                  recommended: str | None, *, star: str = "recommended",
                  world: str = "") -> list[Plot]:
    """One chart per metric: mean and 95 % CI against the swept numeric lever.

    Other levers give one line each. Without a numeric lever, the chart is a bar per point.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`livesim.report.stats.summarize` output.
    sweep : Sweep
        The sweep (levers and point values).
    metrics : sequence of str
        Metrics to draw (each needs ``.mean``/``.ci_low``/``.ci_high``/``.n`` columns).
    baseline, recommended : str
        Point labels to mark (``recommended`` may be None).
    star : str
        What the legend calls ``recommended`` (e.g. "highest net, not a recommendation").
    world : str
        The world the points belong to, added to the title when not empty.

    Returns
    -------
    list of Plot
    """
    x_lever = numeric_lever(sweep)
    plots = []
    for metric in metrics:
        fig = Figure(figsize=(7.0, 4.2), layout="constrained")
        ax = fig.add_subplot()
        mean = summary[f"{metric}.mean"]
        if x_lever is None:
            positions = np.arange(len(summary))
            ax.bar(positions, mean, yerr=_ci_err(summary, metric), capsize=4, color="C0", alpha=0.8)
            ax.set_xticks(positions, [sweep.short_label(p) for p in summary.index],
                          rotation=30, ha="right", fontsize=8)
            ax.set_xlabel("policy point")
            xs = dict(zip(summary.index, positions.astype(float), strict=True))
            how = "Bars: mean over seeds; whiskers: 95 % t confidence interval over seeds"
        else:
            others = [lever for lever in sweep.levers if lever != x_lever]
            groups = ([(k if isinstance(k, tuple) else (k,), g)
                       for k, g in summary.groupby(others, dropna=False, sort=False)]
                      if others else [((), summary)])
            groups.sort(key=lambda kg: tuple(value_sort_key(v) for v in kg[0]))
            n_lines = len(groups)
            for key, group in groups:
                group = group.sort_values(x_lever, key=lambda s: s.astype(float))
                x = group[x_lever].astype(float)
                name = " ".join(format_override(k, v) for k, v in zip(others, key,
                                                                          strict=True))
                line, = ax.plot(x, group[f"{metric}.mean"], marker="o", ms=4, label=name or None)
                ax.fill_between(x, group[f"{metric}.ci_low"], group[f"{metric}.ci_high"],
                                color=line.get_color(), alpha=0.2, lw=0)
            ax.set_xlabel(_lever_label(x_lever))
            xs = summary[x_lever].astype(float).to_dict()
            how = "Line: mean over seeds; band: 95 % t confidence interval over seeds"
            if others:
                how += (f"; one line per value of {', '.join(others)}" +
                        (f" ({n_lines} lines, legend omitted)" if n_lines > _MAX_LEGEND else ""))
        if (summary[f"{metric}.n"] < 2).any():
            how += "; a point with a single seed has no interval"
        _mark(ax, xs, mean.to_dict(), baseline, recommended, star)
        ax.set_ylabel(_axis_label(metric))
        title = _titled(f"{metric} by {x_lever or 'policy point'}", world)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        handles, _ = ax.get_legend_handles_labels()
        if len(handles) <= _MAX_LEGEND + 2:
            ax.legend(fontsize=7, loc="best")
        plots.append(Plot(f"outcome_{metric}", title,
                          f"{how} ({_n_text(summary, metric)} seeds per point).", _png(fig)))
    return plots


def tradeoff_plots(summary: pd.DataFrame, sweep: Sweep, frontier: pd.Series,
                   objectives: Sequence[str], baseline: str,
                   recommended: str | None, *, star: str = "recommended",
                   world: str = "", flags: Mapping[str, str] | None = None) -> list[Plot]:
    """Scatter charts of platform net revenue against harm and against false positives.

    Each point shows its mean with 95 % CI whiskers; the Pareto frontier is drawn in red.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`livesim.report.stats.summarize` output.
    sweep : Sweep
        The sweep (for short point labels).
    frontier : pandas.Series of bool
        :func:`livesim.report.frontier.pareto_front` output.
    objectives : sequence of str
        The objectives the frontier was taken over (named in the legend).
    baseline, recommended : str
        Point labels to mark (``recommended`` may be None).
    star, world : str
        As for :func:`outcome_plots`.
    flags : mapping, optional
        Point label → a note added to its annotation (e.g. "3 of 5 seeds" for a point with
        missing runs).

    Returns
    -------
    list of Plot
        One per available x metric (``harm.total``, ``enforcement.false_positives``).
    """
    plots = []
    if f"{NET}.mean" not in summary:
        return plots
    y = summary[f"{NET}.mean"]
    y_err = _ci_err(summary, NET)
    for x_metric in ("harm.total", "enforcement.false_positives"):
        if f"{x_metric}.mean" not in summary:
            continue
        x = summary[f"{x_metric}.mean"]
        x_err = _ci_err(summary, x_metric)
        fig = Figure(figsize=(7.0, 4.8), layout="constrained")
        ax = fig.add_subplot()
        ax.errorbar(x, y, xerr=x_err, yerr=y_err, fmt="o", color="0.45", ms=5, elinewidth=0.8,
                    alpha=0.8, label="policy point (mean, 95 % CI)")
        front = summary.index[frontier.reindex(summary.index, fill_value=False).to_numpy()]
        order = x[front].sort_values().index
        ax.plot(x[order], y[order], "o-", color="C3", ms=6, lw=1.2,
                label="Pareto frontier (" + ", ".join(objectives) + ")")
        crowded = False
        if len(summary) <= _MAX_ANNOTATED:
            first = [p for p in (recommended, baseline, *front) if p in summary.index]
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()  # the view, whiskers included
            labelled = _labelled(x, y, [*dict.fromkeys([*first, *summary.index])], (x1 - x0, y1 - y0))
            for point in labelled:
                note = (flags or {}).get(point)
                ax.annotate(sweep.short_label(point) + (f" ({note})" if note else ""),
                            (x[point], y[point]), fontsize=7, xytext=(4, 4),
                            textcoords="offset points", color="darkorange" if note else "black")
            crowded = len(labelled) < int((np.isfinite(x) & np.isfinite(y)).sum())
        _mark(ax, x.to_dict(), y.to_dict(), baseline, recommended, star)
        ax.set_xlabel(_axis_label(x_metric))
        ax.set_ylabel(_axis_label(NET))
        title = _titled(f"Trade-off: platform net revenue vs {x_metric}", world)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        caption = ("Each dot is a policy point: mean over seeds, whiskers 95 % t confidence "
                   f"intervals. Red: the Pareto frontier over all {len(objectives)} objectives, so "
                   "a frontier point can look dominated in this two-dimensional view when it wins "
                   "on another objective.")
        if flags:
            caption += (" A label with 'k of n seeds' (orange) marks a point with missing runs: "
                        "its mean rests on fewer seeds than the others'.")
        if crowded:
            caption += (" Points that sit on top of a labelled one are left unlabelled (the "
                        "recommended point, the baseline and the frontier are labelled first); the "
                        "tables give every point.")
        plots.append(Plot(f"tradeoff_{x_metric}", title, caption, _png(fig)))
    return plots


def _labelled(x: pd.Series, y: pd.Series, points: Sequence[str], view: tuple[float, float]) -> list[str]:
    """The ``points`` to label, taken in the order given, so that labels do not print over each other.

    A point is left out when it lies within a label's size (about 7 % of the view's width and 5 % of
    its height, ``view`` being the plotted x and y spans) of a point labelled before it.
    """
    span_x, span_y = (abs(s) or 1.0 for s in view)
    ok = np.isfinite(x) & np.isfinite(y)
    chosen: list[str] = []
    for p in points:
        if ok.get(p, False) and all(abs(x[p] - x[q]) >= 0.07 * span_x or abs(y[p] - y[q]) >= 0.05 * span_y
                                    for q in chosen):
            chosen.append(p)
    return chosen


def daily_plot(series: Mapping[str, tuple[pd.DataFrame, int]], *, world: str = "") -> Plot | None:
    """Daily outcomes of a few points (mean over seeds), one panel per column.

    Parameters
    ----------
    series : mapping
        Legend label → (:func:`livesim.report.aggregate.daily_means` frame, runs averaged).
    world : str
        The world the points belong to, added to the title when not empty.

    Returns
    -------
    Plot or None
        None when no point has a readable time series.
    """
    frames = {label: frame for label, (frame, _) in series.items() if len(frame)}
    if not frames:
        return None
    present = [c for c in DAILY_PLOT_COLUMNS if any(c in f for f in frames.values())]
    if not present:
        present = list(dict.fromkeys(c for f in frames.values() for c in f.columns
                                     if c != RUNOFF))[:4]
    runoff_days = sorted({day for f in frames.values() if RUNOFF in f
                          for day in f.index[f[RUNOFF] > 0]})
    ncols = min(2, len(present))
    nrows = math.ceil(len(present) / ncols)
    fig = Figure(figsize=(6.0 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, column in zip(axes.flat, present, strict=False):
        for i, (label, frame) in enumerate(frames.items()):
            if column in frame:
                ax.plot(frame.index, frame[column], ls="-" if i == 0 else "--", label=label)
        if runoff_days:
            ax.axvspan(runoff_days[0] - 0.5, runoff_days[-1] + 0.5, color="0.88", zorder=0,
                       label="run-off days")
        ax.set_title(column, fontsize=10)
        ax.set_xlabel("day")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric_unit(column))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(present):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    title = _titled("Daily outcomes, mean over seeds", world)
    fig.suptitle(title)
    counts = ", ".join(f"{label}: {n} runs" for label, (_, n) in series.items())
    caption = (f"Each line is the day-by-day mean over seeds of the runs' timeseries.csv "
               f"columns, as the engine writes them ({counts}). Accounts are scored and actioned at "
               f"the end of each day, so day 1's gifts include those of every account actioned that "
               f"evening (bad actors and false positives alike): under a policy that acts, day 1 "
               f"stands above the days after it.")
    if runoff_days:
        caption += (" Grey: the run-off days after the last active day, with no new gifting, "
                    "in which payout holds clear and late chargebacks land.")
    return Plot("daily", title, caption, _png(fig))


def _ci_err(summary: pd.DataFrame, metric: str) -> np.ndarray:
    """Error-bar lengths below and above each mean (its CI; 0 where a point has no interval)."""
    mean = summary[f"{metric}.mean"]
    return np.nan_to_num(np.vstack([mean - summary[f"{metric}.ci_low"], summary[f"{metric}.ci_high"] - mean]))
