"""Per-point means with 95 % confidence intervals, and paired differences against a baseline.

The unit of observation is a seed: runs that share a point and a seed are averaged first. Every
interval is a two-sided Student-t interval over seeds; it describes the seed-to-seed variation
of the simulation (synthetic population and random draws), not uncertainty in the model's
assumptions.

Because runs with the same seed share their population and policy-independent draws (common
random numbers), the difference between two points is estimated *paired by seed*: the t interval
of the per-seed differences. The unpaired Welch interval of the same difference, on the same
seeds, is reported next to it to show how much pairing removes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as sps

from livesim.report.aggregate import SEED, ReportError, Sweep, format_value, parse_point_spec

__all__ = [
    "HEADLINE_METRICS",
    "LEVEL",
    "LEVEL_TEXT",
    "Estimate",
    "difference_ci",
    "format_estimate",
    "format_number",
    "mean_ci",
    "per_seed",
    "resolve_baseline",
    "summarize",
]

LEVEL = 0.95
"""Confidence level of every interval in the report."""
LEVEL_TEXT = f"{LEVEL * 100:g} %"

HEADLINE_METRICS: tuple[str, ...] = (
    "revenue.platform_net",
    "revenue.gross",
    "revenue.creator_earnings",
    "revenue.legit_blocked",
    "harm.total",
    "harm.laundered",
    "harm.fraud_loss",
    "harm.minor_spend",
    "harm.violating_gifts",
    "harm.bot_diverted_gifts",
    "enforcement.false_positives",
    "enforcement.fp_rate",
    "enforcement.precision",
    "enforcement.recall",
    "enforcement.legit_creators_actioned",
    "enforcement.legit_gifters_actioned",
    "review.decisions",
    "review.backlog_max",
)
"""Metrics the report's tables and plots show (when the runs report them); ``summary.csv``
covers every metric."""


class Estimate(NamedTuple):
    """A point estimate with its confidence interval.

    ``ci_low``/``ci_high`` are NaN when fewer than two observations exist; ``value`` is NaN
    when there are none. ``n`` counts the non-missing observations used.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int


def _t_bounds(center: np.ndarray, se: np.ndarray, df: np.ndarray,
              level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``center ± t(df)·se``; NaN where df ≤ 0 or se is NaN, exact where se = 0."""
    with np.errstate(invalid="ignore"):
        q = sps.t.ppf(0.5 + level / 2, np.where(df > 0, df, np.nan))
        half = np.where(se == 0, 0.0, q * se)
    return center - half, center + half


def _column_stats(frame: pd.DataFrame, level: float) -> tuple[np.ndarray, ...]:
    """Mean, CI low, CI high and n of every column (one observation per row, NaN ignored)."""
    n = frame.notna().sum().to_numpy()
    mean = frame.mean().to_numpy(dtype=float)
    se = (frame.std(ddof=1) / np.sqrt(n)).to_numpy(dtype=float)
    return (mean, *_t_bounds(mean, se, n - 1.0, level), n)


def _column_differences(x: pd.DataFrame, y: pd.DataFrame,
                        level: float) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Paired and Welch statistics of ``x - y`` per column, on the seeds (rows) both have."""
    common = x.index.intersection(y.index)
    xc, yc = x.loc[common], y.loc[common]
    both = xc.notna() & yc.notna()
    xc, yc = xc.where(both), yc.where(both)
    paired = _column_stats(xc - yc, level)
    delta, n = paired[0], paired[3]
    vx = (xc.var(ddof=1) / n).to_numpy(dtype=float)
    vy = (yc.var(ddof=1) / n).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (vx + vy) ** 2 / ((vx**2 + vy**2) / (n - 1.0))
    return paired, (delta, *_t_bounds(delta, np.sqrt(vx + vy), df, level), n)


def _estimate(stats: tuple[np.ndarray, ...]) -> Estimate:
    value, low, high, n = (a[0] for a in stats)
    return Estimate(float(value), float(low), float(high), int(n))


def mean_ci(values: Sequence[float] | pd.Series, level: float = LEVEL) -> Estimate:
    """Mean and Student-t confidence interval of independent observations (NaN ignored).

    Parameters
    ----------
    values : sequence of float
        One value per seed.
    level : float
        Confidence level, default 0.95.

    Returns
    -------
    Estimate
        The interval is ``mean ± t(n-1) · sd / √n``; NaN when n < 2.
    """
    return _estimate(_column_stats(pd.DataFrame({"v": np.asarray(values, dtype=float)}), level))


def difference_ci(x: pd.Series, y: pd.Series, level: float = LEVEL) -> tuple[Estimate, Estimate]:
    """The difference ``x - y`` between two points, paired by seed and unpaired.

    Parameters
    ----------
    x, y : pandas.Series
        One value per seed, indexed by seed. Only seeds where both are non-missing are used,
        so both intervals describe the same difference on the same runs.
    level : float
        Confidence level, default 0.95.

    Returns
    -------
    paired : Estimate
        Mean of the per-seed differences with its t interval (n - 1 degrees of freedom);
        ``n`` is the number of pairs.
    welch : Estimate
        The same difference of means with Welch's unpaired interval (Welch–Satterthwaite
        degrees of freedom), as if the runs had independent random numbers.
    """
    paired, welch = _column_differences(x.to_frame("v"), y.to_frame("v"), level)
    return _estimate(paired), _estimate(welch)


def per_seed(sweep: Sweep) -> pd.DataFrame:
    """Metric values per (point, seed): the observations every statistic here uses.

    Runs sharing a point and a seed (re-runs) are averaged into one observation.
    """
    return sweep.runs.groupby(["point", SEED], sort=False)[list(sweep.metrics)].mean()


def resolve_baseline(sweep: Sweep, spec: str | None) -> str:
    """Find the baseline point named by the user.

    Parameters
    ----------
    sweep : Sweep
        The sweep.
    spec : str or None
        Overrides naming one point, e.g. ``"policy.risk_threshold=0.8"``; levers not named may
        be left out when the rest is unambiguous. None picks the first point in sorted order.

    Returns
    -------
    str
        The point's label.

    Raises
    ------
    ReportError
        If the spec names no point with complete runs, or more than one; the message lists the
        available points.
    """
    if not sweep.points:
        raise ReportError("The sweep has no complete run, so there is no baseline to compare to.")
    if spec is None:
        return sweep.points[0]
    wanted = parse_point_spec(spec)
    available = "Available points: " + "; ".join(sweep.points) + "."
    if SEED in wanted:
        raise ReportError(f"--baseline {spec!r} names a seed; a baseline is a policy point, "
                          f"compared seed by seed. Leave seed out. {available}")
    for key, value in wanted.items():
        if key in sweep.fixed and sweep.fixed[key] != value:
            raise ReportError(
                f"--baseline {spec!r}: every run has {key}={format_value(sweep.fixed[key])}, so no "
                f"point has {key}={format_value(value)}. {available}")
        if key not in sweep.levers and key not in sweep.fixed:
            levers = ", ".join(sweep.levers) or "none"
            raise ReportError(f"--baseline {spec!r}: {key} is not an override of this sweep "
                              f"(swept levers: {levers}). {available}")
    matches = [p for p in sweep.points
               if all(sweep.point_values[p].get(k, sweep.fixed.get(k)) == v
                      for k, v in wanted.items())]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        incomplete = [p for p in sweep.point_values if p not in sweep.points
                      and all(sweep.point_values[p].get(k) == v for k, v in wanted.items())]
        why = (f" That point exists but none of its runs completed ({incomplete[0]})."
               if incomplete else "")
        raise ReportError(f"--baseline {spec!r} matches no point with complete runs.{why} "
                          f"{available}")
    raise ReportError(f"--baseline {spec!r} matches {len(matches)} points "
                      f"({'; '.join(matches)}); name the other levers too.")


def summarize(sweep: Sweep, baseline: str, metrics: Sequence[str] | None = None,
              level: float = LEVEL) -> pd.DataFrame:
    """One row per point: mean and CI of each metric, and its difference from the baseline.

    Parameters
    ----------
    sweep : Sweep
        The sweep.
    baseline : str
        Label of the baseline point (see :func:`resolve_baseline`).
    metrics : sequence of str, optional
        Metrics to summarize; default every metric the runs report.
    level : float
        Confidence level, default 0.95.

    Returns
    -------
    pandas.DataFrame
        Indexed by point label in sorted order; lever columns first, then for each metric ``m``:
        ``m.mean``, ``m.ci_low``, ``m.ci_high``, ``m.n`` (seeds with a value), ``m.delta``
        (point minus baseline, mean of per-seed differences), ``m.delta_ci_low``,
        ``m.delta_ci_high`` (paired t interval), ``m.delta_n`` (pairs), and
        ``m.delta_welch_ci_low``, ``m.delta_welch_ci_high`` (unpaired Welch interval of the same
        difference on the same seeds). Units are the metric's own.
    """
    names = list(sweep.metrics if metrics is None else metrics)
    obs = per_seed(sweep)[names]
    base = obs.xs(baseline, level="point")
    rows = []
    for point in sweep.points:
        x = obs.xs(point, level="point")
        mean, low, high, n = _column_stats(x, level)
        (delta, d_low, d_high, pairs), (_, w_low, w_high, _) = _column_differences(x, base, level)
        row: dict[str, object] = {lever: sweep.point_values[point].get(lever)
                                  for lever in sweep.levers}
        for i, m in enumerate(names):
            row.update({
                f"{m}.mean": mean[i], f"{m}.ci_low": low[i], f"{m}.ci_high": high[i],
                f"{m}.n": int(n[i]), f"{m}.delta": delta[i],
                f"{m}.delta_ci_low": d_low[i], f"{m}.delta_ci_high": d_high[i],
                f"{m}.delta_n": int(pairs[i]),
                f"{m}.delta_welch_ci_low": w_low[i], f"{m}.delta_welch_ci_high": w_high[i],
            })
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(sweep.points, name="point"))


def format_number(x: float | None) -> str:
    """Format a number for a reader: thousands separators, three significant digits below 100."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def format_estimate(value: float, ci_low: float, ci_high: float) -> str:
    """``value [low, high]``, or ``value [no CI]`` when the interval is undefined."""
    if not math.isfinite(value):
        return "n/a"
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return f"{format_number(value)} [no CI: 1 seed]"
    return f"{format_number(value)} [{format_number(ci_low)}, {format_number(ci_high)}]"
