"""Pareto frontier among policy points, and the constrained recommendation.

Outcomes carry a direction (EMA Workbench's *maximise* / *minimise*), taken from the metric
glossary :data:`livesim.metrics.METRICS`: revenue up is better except legitimate revenue blocked;
harms, false positives and reviewer load down are better; precision and recall up are better.
The frontier compares point means; the recommendation uses the confidence intervals from
:mod:`livesim.report.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from livesim.metrics import METRICS
from livesim.report.stats import LEVEL, LEVEL_TEXT, Estimate, difference_ci, format_estimate, format_number

__all__ = [
    "DEFAULT_OBJECTIVES",
    "NET",
    "Recommendation",
    "direction",
    "pareto_front",
    "recommend",
]

NET = "revenue.platform_net"
HARM = "harm.total"
FP_RATE = "enforcement.fp_rate"
DEFAULT_OBJECTIVES: tuple[str, ...] = (NET, HARM, "enforcement.false_positives")
"""Outcomes the Pareto frontier is taken over (each with its :func:`direction`)."""

_BETTER = {"higher": 1, "lower": -1}


def direction(metric: str) -> int:
    """Which way is better for an outcome: +1 higher, -1 lower, 0 neither (or unknown).

    Metrics in :data:`livesim.metrics.METRICS` use its ``better``; other keys go by family
    (``harm.*`` lower, ``revenue.*`` higher), anything else has no direction.
    """
    if metric in METRICS:
        return _BETTER.get(METRICS[metric].better, 0)
    if metric.startswith("harm."):
        return -1
    return 1 if metric.startswith("revenue.") else 0


def pareto_front(summary: pd.DataFrame,
                 objectives: Sequence[str] = DEFAULT_OBJECTIVES) -> pd.Series:
    """Which points no other point beats on every objective (by mean over seeds).

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`livesim.report.stats.summarize` output (needs ``<objective>.mean`` columns).
    objectives : sequence of str
        Metric names; each must have a known :func:`direction`.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``summary``. A point is on the frontier when no other point is at least as
        good on every objective and strictly better on one. Points missing an objective's mean
        are not on it.

    Raises
    ------
    ValueError
        If an objective has no known direction.
    """
    signs = []
    for metric in objectives:
        if direction(metric) == 0:
            raise ValueError(f"{metric} has no known better direction; it cannot be an objective.")
        signs.append(direction(metric))
    # Orient every objective so that larger is better.
    values = summary[[f"{m}.mean" for m in objectives]].to_numpy(dtype=float) * np.array(signs)
    valid = ~np.isnan(values).any(axis=1)
    on_front = np.zeros(len(summary), dtype=bool)
    candidates = values[valid]
    for i in np.flatnonzero(valid):
        v = values[i]
        dominated = ((candidates >= v).all(axis=1) & (candidates > v).any(axis=1)).any()
        on_front[i] = not dominated
    return pd.Series(on_front, index=summary.index, name="on_frontier")


@dataclass(frozen=True)
class Recommendation:
    """The report's answer.

    Attributes
    ----------
    point : str or None
        The recommended point's label; None when no point qualifies.
    headline : str
        One line for the console and the report's first sentence.
    details : tuple of str
        Sentences explaining the choice and its uncertainty.
    limits : dict
        Metric → limit the user gave (the 95 % upper bound must stay below it).
    qualifying : tuple of str
        Points that met every limit (all points with a net revenue when no limit was given).
    recommended : bool
        Whether ``point`` is a recommendation: it met limits the user gave. Without limits
        ``point`` is only the frontier point with the highest platform net, which the report
        shows but does not recommend.
    """

    point: str | None
    headline: str
    details: tuple[str, ...]
    limits: dict[str, float]
    qualifying: tuple[str, ...]
    recommended: bool = False

    @property
    def mark(self) -> str:
        """What the report calls ``point`` in tables and charts."""
        return "recommended" if self.recommended else "highest net, not a recommendation"


def _mean(row: pd.Series, metric: str) -> str:
    return format_estimate(row[f"{metric}.mean"], row[f"{metric}.ci_low"],
                           row[f"{metric}.ci_high"])


def _delta_sentence(summary: pd.DataFrame, point: str, baseline: str) -> str:
    if point == baseline:
        return "It is the baseline point itself, so it changes nothing relative to the baseline."
    parts = []
    for m in (NET, HARM, "enforcement.false_positives", FP_RATE):
        if f"{m}.delta" in summary:
            r = summary.loc[point]
            delta = format_estimate(r[f"{m}.delta"], r[f"{m}.delta_ci_low"],
                                    r[f"{m}.delta_ci_high"])
            parts.append(f"{m} {delta}")
    return (f"Against the baseline ({baseline}), the change per run, paired by seed with its "
            f"95 % CI, is: {'; '.join(parts)}.")


def _comparisons(summary: pd.DataFrame, per_seed: pd.DataFrame, baseline: str,
                 ranked: pd.Series, runner_up_role: str,
                 name: Callable[[object], str] = str) -> list[str]:
    """How the best of ``ranked`` compares with the baseline and, if there is one, the next in rank."""
    best = str(ranked.index[0])
    sentences = [_delta_sentence(summary, best, baseline)]
    if len(ranked) > 1:
        sentences.append(_runner_up_sentence(per_seed, best, str(ranked.index[1]), runner_up_role,
                                             name))
    return sentences


def _net_ranking(per_seed: pd.DataFrame, best: str, runner_up: str) -> tuple[Estimate, str]:
    """The paired difference in platform net of ``best`` over ``runner_up``, and what it shows.

    ``"same"`` (equal on every seed), ``"unknown"`` (fewer than two seeds in common), ``"ahead"``
    (interval above zero), ``"behind"`` (below zero) or ``"tied"`` (it spans zero).
    """
    paired, _ = difference_ci(per_seed.xs(best, level="point")[NET],
                              per_seed.xs(runner_up, level="point")[NET])
    if paired.n > 0 and paired.ci_low == paired.ci_high == 0:
        return paired, "same"
    if not (math.isfinite(paired.ci_low) and math.isfinite(paired.ci_high)):
        return paired, "unknown"
    return paired, "ahead" if paired.ci_low > 0 else "behind" if paired.ci_high < 0 else "tied"


def _runner_up_sentence(per_seed: pd.DataFrame, best: str, runner_up: str, role: str,
                        name: Callable[[object], str] = str) -> str:
    paired, ranking = _net_ranking(per_seed, best, runner_up)
    est = format_estimate(paired.value, paired.ci_low, paired.ci_high)
    runner_up = name(runner_up)
    if ranking == "same":
        return (f"The {role}, {runner_up}, gave exactly the same platform net on every seed: "
                "the sweep shows no difference between them.")
    if ranking == "unknown":
        verdict = "with fewer than two common seeds the sweep cannot tell them apart."
    elif ranking == "ahead":
        verdict = "the interval excludes zero, so this sweep resolves the ranking."
    elif ranking == "behind":
        verdict = (f"the interval lies below zero: on the seeds they share, the {role} earns more, so "
                   "the ranking by mean rests on seeds the two do not share.")
    else:
        verdict = ("the interval includes zero, so this sweep cannot separate the two on net "
                   "revenue; more seeds, or the other outcomes, should decide.")
    return (f"It earns {est} currency units more platform net than the {role}, {runner_up} "
            f"(paired by seed, 95 % CI); {verdict}")


def _tie_note(per_seed: pd.DataFrame, best: str, runner_up: str, name: Callable[[object], str] = str) -> str:
    """For a headline: a sentence when the sweep does not show ``best`` ahead of ``runner_up`` on net revenue.

    Empty when the paired interval of the difference lies above zero (the ranking is resolved).
    """
    paired, ranking = _net_ranking(per_seed, best, runner_up)
    other = f"the next-best qualifying point, {name(runner_up)}"
    if ranking == "unknown":
        return f" It cannot be compared seed by seed with {other} (fewer than two seeds in common)."
    if ranking == "ahead":
        return ""
    est = f"{format_estimate(paired.value, paired.ci_low, paired.ci_high)} currency units more, paired by seed, 95 % CI"
    if ranking == "behind":
        return (f" On the seeds they share, {other}, earns more net revenue ({est}): this point's higher "
                "mean rests on seeds the two do not share.")
    return f" On net revenue it cannot be told apart from {other} ({est})."


def _names(points: Sequence[object], most: int = 8) -> str:
    """Point labels joined for a sentence, the list cut after ``most``."""
    names = [str(p) for p in points]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return "; ".join(names[:most]) + more


def _limit_text(metric: str, limit: float) -> str:
    return f"{metric} < {format_number(limit)}"


def recommend(summary: pd.DataFrame, per_seed: pd.DataFrame, frontier: pd.Series,
              baseline: str, limits: Mapping[str, float] | None = None,
              short: Mapping[str, tuple[int, int]] | None = None) -> Recommendation:
    """Recommend the point with the highest mean platform net revenue that meets the limits.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`livesim.report.stats.summarize` output.
    per_seed : pandas.DataFrame
        :func:`livesim.report.stats.per_seed` output (to compare the winner with the runner-up).
    frontier : pandas.Series of bool
        :func:`pareto_front` output.
    baseline : str
        The baseline point's label.
    limits : mapping, optional
        Metric → limit (e.g. ``{"harm.total": 5000, "enforcement.fp_rate": 0.01}``). A point
        meets a limit "with 95 % confidence" when the upper end of the metric's two-sided 95 %
        interval over seeds (a one-sided 97.5 % bound) is below it; a point with a single seed
        has no interval and cannot meet a limit.
    short : mapping, optional
        Points with fewer complete seeds than they should have → (seeds, seeds wanted), from
        :attr:`livesim.report.aggregate.Coverage.short`; each is flagged wherever it is named.

    Returns
    -------
    Recommendation
        With no limits: the frontier point with the highest mean net revenue, shown as such and
        not as a recommendation (``recommended`` False).
    """
    limits = dict(limits or {})
    short = {str(p): v for p, v in (short or {}).items() if p in summary.index}

    def name(point: object) -> str:
        if str(point) in short:
            have, want = short[str(point)]
            return f"{point} (⚠ {have} of {want} seeds)"
        return str(point)

    def names(points: Sequence[object]) -> str:
        return _names([name(p) for p in points])

    short_note = [] if not short else [
        f"⚠ {len(short)} point(s) have fewer complete seeds than they should ("
        f"{_names([f'{p}: {have} of {want}' for p, (have, want) in short.items()])}): "
        "their intervals are wider and each paired difference uses only the seeds both points "
        "share, so their place in this ranking is less certain than the others'. Run the "
        "missing seeds before relying on it."]
    if f"{NET}.mean" not in summary or summary[f"{NET}.mean"].isna().all():
        return Recommendation(None, f"No recommendation: the runs report no {NET}.",
                              (), limits, ())
    net = summary[f"{NET}.mean"]
    level = LEVEL_TEXT

    if not limits:
        pool = net[frontier & net.notna()]
        pool = pool if len(pool) else net.dropna()
        ranked = pool.sort_values(ascending=False, kind="stable")
        best = str(ranked.index[0])
        r = summary.loc[best]
        details = [
            "No limits were given (--max-harm, --max-fp-rate), so the report recommends "
            "nothing: this is only the point on the Pareto frontier with the highest mean "
            "platform net revenue. It maximises revenue and accepts whatever harm and false "
            "positives come with it. Give limits to get a recommendation that trades revenue "
            "against them.",
            f"Its mean platform net is {_mean(r, NET)} currency units ({level} CI over "
            f"{int(r[f'{NET}.n'])} seeds).",
            *_comparisons(summary, per_seed, baseline, ranked, "next-best frontier point", name),
            *short_note,
        ]
        return Recommendation(
            best, "Highest platform net (no harm or false-positive limits given — not a "
            f"recommendation): {name(best)}, {_mean(r, NET)} currency units, on the Pareto "
            "frontier.",
            tuple(details), limits, tuple(str(p) for p in pool.index))

    passes: dict[str, pd.Series] = {}
    for metric, limit in limits.items():
        upper = summary[f"{metric}.ci_high"]
        passes[metric] = upper.notna() & (upper < limit)
    ok = net.notna() & np.logical_and.reduce(list(passes.values()))
    limit_list = " and ".join(_limit_text(m, v) for m, v in limits.items())
    rule = (f"that is, the upper end of the metric's two-sided {level} CI over seeds, a one-sided "
            f"{(1 + LEVEL) / 2 * 100:g} % bound, is below the limit")
    no_ci = [str(p) for p in summary.index
             if any(pd.isna(summary.at[p, f"{m}.ci_high"]) for m in limits)]
    if len(no_ci) == len(summary):
        no_ci_note = ["Every point has a single seed, so none has an interval and none can meet a "
                      "limit with confidence: add seeds to the sweep (e.g. 'seed=range(0,10)')."]
    elif no_ci:
        no_ci_note = [f"{len(no_ci)} point(s) have a single seed and so no interval, which cannot "
                      f"meet a limit with confidence: {names(no_ci)}; run more seeds to test "
                      "them."]
    else:
        no_ci_note = []

    qualifies = f"A point qualifies when it meets each limit with {level} confidence; {rule}."
    if not ok.any() and len(no_ci) == len(summary):
        return Recommendation(
            None, f"No recommendation under {limit_list}: every point has a single seed, so no "
            "interval can show that a limit is met.", (qualifies, *no_ci_note), limits, ())
    if not ok.any():
        failing = [m for m, p in passes.items() if not p.any()]
        if failing:
            binds = failing
            why = []
            for m in failing:
                upper, mean = summary[f"{m}.ci_high"], summary[f"{m}.mean"]
                if upper.notna().any():
                    why.append(f"No point keeps {m} below {format_number(limits[m])} with "
                               f"{level} confidence; the lowest upper bound is "
                               f"{format_number(upper.min())} at {name(upper.idxmin())}.")
                close = [str(p) for p in mean.index[mean < limits[m]] if str(p) not in no_ci]
                if close:
                    why.append(f"The mean {m} is below the limit at {names(close)}: more "
                               "seeds would narrow their intervals and may let them qualify.")
        else:
            binds = list(limits)
            why = ["Each limit alone is met by some point, but no point meets all of them: " +
                   "; ".join(f"{_limit_text(m, limits[m])} holds at "
                             f"{names(p[p].index)}"
                             for m, p in passes.items()) + "."]
        why += no_ci_note + short_note
        why.append(f"Loosen the {binds[0]} limit, or sweep levers that lower {binds[0]}."
                   if len(binds) == 1 else
                   "Loosen one of the limits, or sweep levers that lower both at once.")
        return Recommendation(
            None, f"No point meets {limit_list} with {level} confidence; "
            f"{' and '.join(binds)} {'binds' if len(binds) == 1 else 'bind together'}.",
            (qualifies, *why), limits, ())

    qualifying = net[ok].sort_values(ascending=False, kind="stable")
    best = str(qualifying.index[0])
    r = summary.loc[best]
    bounds = "; ".join(f"{m} upper bound {format_number(r[f'{m}.ci_high'])} "
                       f"(limit {format_number(v)})" for m, v in limits.items())
    details = [
        f"{len(qualifying)} of {len(summary)} points meet {limit_list} with {level} confidence; "
        f"{rule}. Of these, {name(best)} has the highest mean platform net: "
        f"{_mean(r, NET)} currency units ({level} CI over {int(r[f'{NET}.n'])} seeds). "
        f"Its {bounds}.",
        *_comparisons(summary, per_seed, baseline, qualifying, "next-best qualifying point",
                      name),
    ]
    excluded = [f"{m}: {names(p[~p].index)}"
                for m, p in passes.items() if (~p).any()]
    if excluded:
        details.append("Excluded by each limit — " + "; ".join(excluded) + ".")
    details += no_ci_note + short_note
    if not frontier.get(best, False):
        details.append(f"{best} is not on the Pareto frontier: another point is at least as good "
                       "on every objective by its mean, but none of those points meets the "
                       f"limits with {level} confidence.")
    headline = (f"Recommended: {name(best)} — highest mean platform net ({_mean(r, NET)} currency units) "
                f"among points meeting {limit_list} with {level} confidence.")
    if len(qualifying) > 1:
        headline += _tie_note(per_seed, best, str(qualifying.index[1]), name)
    return Recommendation(best, headline, tuple(details), limits, tuple(str(p) for p in qualifying.index),
                          recommended=True)
