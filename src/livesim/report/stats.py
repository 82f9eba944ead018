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
    "enforcement.false_positives",
    "enforcement.fp_rate",
    "enforcement.precision",
    "enforcement.recall",
    "enforcement.legit_creators_actioned",
    "enforcement.legit_gifters_actioned",
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


def _t_interval(center: float, se: float, df: float, level: float) -> tuple[float, float]:
    if not (df > 0 and math.isfinite(se)):
        return math.nan, math.nan
    half = float(sps.t.ppf(0.5 + level / 2, df)) * se
    return center - half, center + half


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
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return Estimate(mean, *_t_interval(mean, se, n - 1, level), n)


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
    both = pd.concat([x.rename("x"), y.rename("y")], axis=1, join="inner").dropna()
    paired = mean_ci(both["x"] - both["y"], level)
    n = len(both)
    if n < 2:
        return paired, Estimate(paired.value, math.nan, math.nan, n)
    vx = float(both["x"].var(ddof=1)) / n
    vy = float(both["y"].var(ddof=1)) / n
    se = math.sqrt(vx + vy)
    if se == 0:
        low = high = paired.value
    else:
        df = (vx + vy) ** 2 / (vx**2 / (n - 1) + vy**2 / (n - 1))
        low, high = _t_interval(paired.value, se, df, level)
    return paired, Estimate(paired.value, low, high, n)


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
    obs = per_seed(sweep)
    base = obs.xs(baseline, level="point")
    rows = []
    for point in sweep.points:
        x = obs.xs(point, level="point")
        row: dict[str, object] = {lever: sweep.point_values[point].get(lever)
                                  for lever in sweep.levers}
        for m in names:
            est = mean_ci(x[m], level)
            paired, welch = difference_ci(x[m], base[m], level)
            row.update({
                f"{m}.mean": est.value, f"{m}.ci_low": est.ci_low, f"{m}.ci_high": est.ci_high,
                f"{m}.n": est.n, f"{m}.delta": paired.value,
                f"{m}.delta_ci_low": paired.ci_low, f"{m}.delta_ci_high": paired.ci_high,
                f"{m}.delta_n": paired.n,
                f"{m}.delta_welch_ci_low": welch.ci_low, f"{m}.delta_welch_ci_high": welch.ci_high,
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
