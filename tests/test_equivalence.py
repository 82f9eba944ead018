"""Statistical equivalence of the engines `livesim.core` (vectorized) and `livesim.model` (Mesa).

What "equivalent" means here
----------------------------
The engines apply the same rules (``economy``, ``platform``, ``policy``, ``adversaries``) but draw
their dynamic random numbers from independent streams, so one seed gives different runs. The
contract is that the *distributions* of the run metrics agree. For each scenario below, both
engines run the same ``N_SEEDS`` seeds, and for every metric tested:

1. **paired location** — the paired differences ``core − mesa`` are consistent with a
   distribution symmetric about 0 (Wilcoxon signed-rank test, two-sided);
2. **marginal shape** — the two samples are consistent with one distribution (two-sample
   Kolmogorov–Smirnov test, two-sided; conservative here because the pairs are correlated);
3. **mean** — the paired mean difference is inside its two-sided t interval:
   ``|mean(core − mesa)| ≤ t · SE`` with ``SE = sd(core − mesa) / √n`` and ``t`` the Student
   quantile (n − 1 degrees of freedom) at the same corrected level.

The three tests of every metric run at a family-wise significance level ``ALPHA = 0.01`` per
scenario, Bonferroni-corrected over the (3 × metrics) tests of the scenario; over the five
scenarios the suite's level is at most 5 %. Seeds are fixed, so the outcome is deterministic;
were the draws re-keyed, correct engines would fail a scenario with probability below 1 %.
A metric that can be null (``enforcement.precision`` when nothing was actioned) is compared on
the seeds where both engines give a value. Passing means "no detectable difference", not proof
of equality: the shift the mean test detects half the time is ``t · SE`` (printed with any
failure). The benign world is 20,000 viewers because a small world's revenue is dominated by a
few whales: there, at ``N_SEEDS = 40``, the mean test's bound ``t · SE`` is about 9 % of the gross
revenue (SE ≈ 2.4 %, t ≈ 3.7 at a level of ≈ 7e-4). Planted in one engine and measured over the 40
seeds, a 10 % error in the gift rate moves the gross by about 9.4 %, which the mean test alone
catches about six times in ten; a 15 % error (:func:`test_the_check_catches_a_broken_engine`)
moves it by about 14 %, caught about 97 % of the time by the mean test alone, and the Wilcoxon
test adds to that (p ≈ 2e-6 on these seeds). The 2,000-viewer world the other scenarios use
missed even a 50 % error. The smaller worlds are for the rules that need dense bad actors.

Why the seed is shared within a pair
------------------------------------
Both engines build the population from ``Streams(seed)`` (``world.build_world``), so core and
Mesa runs with one seed share the same world — the same whales, ring creators, fraud targets —
and differ only in the dynamic draws (sessions, schedules, gift counts, detector noise, review,
appeals, chargebacks). The world is a large part of a run's variance; pairing on it removes that
part from the differences (about 40 % of the variance of ``revenue.gross`` under card fraud, more
in the benign world), which makes the paired tests more powerful for the same run time than two
independent samples of worlds would. What is tested is then "same world → same distribution of
outcomes", averaged over ``N_SEEDS`` worlds.

What may differ
---------------
* Every individual draw, hence every single run (the streams are independent by design).
* The order in which intents are settled within an hour (the core settles one batch, Mesa one
  agent at a time in random order). Each account has at most one intent an hour and the policy's
  gate reads only the sender's own daily total and day-old statuses, so order cannot change an
  outcome; it is not a source of difference.
* Floating-point summation order (differences of ~1e-12 relative).
* ``perf.*`` (the Mesa engine is slower by design).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from scipy import stats

from livesim.core import run_core
from livesim.model import run_mesa
from livesim.params import Params
from livesim.platform import RunResult

pytestmark = pytest.mark.slow

N_SEEDS = 40
ALPHA = 0.01
TESTS_PER_METRIC = 3  # Wilcoxon, Kolmogorov–Smirnov, the mean's t interval

SMALL = {"population.viewers": 2_000, "population.creators": 40, "days": 4}
BENIGN_WORLD = {"population.viewers": 20_000, "population.creators": 400, "days": 4}
ONLINE = "viewer_hours_online"  # sum of the daily ``viewers_online`` column (sessions)


@dataclass(frozen=True)
class Scenario:
    """A world, the metrics compared on it, and the harm it must produce."""

    overrides: dict
    metrics: tuple[str, ...]
    harm: str | None = None
    world: tuple[tuple[str, int], ...] = tuple(SMALL.items())


SCENARIOS = {
    # scenarios/benign.yaml: no bad actors, baseline policy; a world big enough for revenue to
    # be more than its whales.
    "benign": Scenario(
        {},
        ("revenue.gross", "revenue.platform_net", "revenue.legit_blocked", "review.decisions", ONLINE),
        world=tuple(BENIGN_WORLD.items())),
    # scenarios/laundering_ring.yaml, denser (20 funders, 2 rings), a higher automated threshold.
    "laundering_ring": Scenario(
        {"actors.ring.funder_share": 0.01, "actors.ring.creators_per_ring": 3,
         "actors.ring.daily_budget": 600.0, "policy.risk_threshold": 0.9},
        ("revenue.gross", "revenue.creator_earnings", "harm.laundered",
         "enforcement.true_positives", "review.decisions", ONLINE),
        harm="harm.laundered"),
    # scenarios/card_fraud_wave.yaml, denser (20 fraudsters), with a 14-day payout hold.
    "card_fraud_hold": Scenario(
        {"actors.card_fraud.fraudster_share": 0.01, "actors.card_fraud.daily_budget": 150.0,
         "policy.payout_hold_days": 14},
        ("revenue.gross", "revenue.platform_net", "revenue.creator_earnings", "harm.fraud_loss",
         "enforcement.true_positives", "review.decisions", ONLINE),
        harm="harm.fraud_loss"),
    # The rules the three above leave idle: minors and the age gate, violating streams' gift
    # multiplier, bots' audience boost, adaptive actors' structuring.
    "minors_violating_bots": Scenario(
        {"actors.minors.share": 0.2, "actors.minors.gifter_share": 0.2,
         "actors.violating.creator_share": 0.1, "actors.bots.bot_share": 0.05,
         "actors.bots.bots_per_creator": 25, "actors.adaptation": 0.5},
        ("revenue.gross", "harm.minor_spend", "harm.violating_gifts", "harm.bot_diverted_gifts",
         "enforcement.true_positives", "review.decisions", ONLINE),
        harm="harm.minor_spend"),
    # A trigger-happy policy (low thresholds, tiny review capacity, appeals decided next day)
    # on a card-fraud world: the false positives and reversals the other scenarios almost never
    # produce (they average under 0.03 benign accounts actioned a run).
    "false_positives": Scenario(
        {"actors.card_fraud.fraudster_share": 0.01, "detection.assumed_prevalence": 0.05,
         "policy.risk_threshold": 0.05, "policy.review_threshold": 0.02, "policy.review_capacity": 3,
         "policy.appeal_delay_days": 1},
        ("enforcement.false_positives", "enforcement.fp_rate", "enforcement.legit_creators_actioned",
         "enforcement.legit_gifters_actioned", "enforcement.actions", "enforcement.precision",
         "enforcement.reversed_on_appeal", "revenue.legit_blocked"),
        harm="enforcement.false_positives"),
}


def scenario_params(name: str, seed: int, **extra) -> Params:
    scenario = SCENARIOS[name]
    return Params().replace(**dict(scenario.world), **scenario.overrides, **extra, seed=seed)


def outcomes(result: RunResult) -> dict[str, float]:
    out = {k: (np.nan if v is None else float(v)) for k, v in result.metrics.items()}
    out[ONLINE] = float(sum(day["viewers_online"] for day in result.daily))
    return out


@cache
def core_runs(name: str) -> tuple[dict[str, float], ...]:
    return tuple(outcomes(run_core(scenario_params(name, s))) for s in range(N_SEEDS))


def mesa_runs(name: str, n: int = N_SEEDS, **extra) -> list[dict[str, float]]:
    return [outcomes(run_mesa(scenario_params(name, s, engine="mesa", **extra))) for s in range(n)]


@dataclass(frozen=True)
class Check:
    """One metric's comparison between two paired samples."""

    metric: str
    n: int  # pairs where both values exist
    mean_a: float
    mean_b: float
    se: float
    p_wilcoxon: float
    p_ks: float
    level: float  # Bonferroni-corrected level each test is held to

    @property
    def t_bound(self) -> float:
        """Largest |mean difference| inside the two-sided t interval at ``level``."""
        return float(stats.t.ppf(1 - self.level / 2, self.n - 1)) * self.se

    @property
    def ok(self) -> bool:
        within = abs(self.mean_a - self.mean_b) <= self.t_bound
        return within and self.p_wilcoxon > self.level and self.p_ks > self.level

    def __str__(self) -> str:
        return (f"{self.metric}: core {self.mean_a:.4g} vs mesa {self.mean_b:.4g} over {self.n} seeds "
                f"(Δ {self.mean_a - self.mean_b:+.4g}, t·SE {self.t_bound:.4g}; "
                f"p Wilcoxon {self.p_wilcoxon:.2g}, p KS {self.p_ks:.2g}; level {self.level:.2g})")


def compare(a: list[dict[str, float]], b: list[dict[str, float]], metrics: tuple[str, ...],
            alpha: float = ALPHA) -> list[Check]:
    """Compare paired samples (``a[i]`` and ``b[i]`` share a world) metric by metric.

    Seeds where either value is null (NaN) are left out of that metric. Metrics that are the
    same constant in both samples, or have fewer than 10 pairs with values, are skipped.
    """
    n = min(len(a), len(b))
    columns = []
    for m in metrics:
        x = np.array([r[m] for r in a[:n]])
        y = np.array([r[m] for r in b[:n]])
        both = ~(np.isnan(x) | np.isnan(y))
        x, y = x[both], y[both]
        if x.size < 10 or (np.all(x == x[0]) and np.all(y == x[0])):
            continue
        columns.append((m, x, y))
    level = alpha / (TESTS_PER_METRIC * max(len(columns), 1))
    checks = []
    for m, x, y in columns:
        d = x - y
        with warnings.catch_warnings():  # ties: scipy falls back to approximations, and says so
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            p_w = 1.0 if np.all(d == 0) else float(stats.wilcoxon(d).pvalue)
            p_ks = float(stats.ks_2samp(x, y).pvalue)
        se = float(d.std(ddof=1) / np.sqrt(d.size))
        checks.append(Check(m, int(d.size), float(x.mean()), float(y.mean()), se, p_w, p_ks, level))
    return checks


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_engines_agree_in_distribution(name):
    scenario = SCENARIOS[name]
    core, mesa = list(core_runs(name)), mesa_runs(name)
    if scenario.harm:  # the scenario exercises what it is about, in both engines
        assert np.mean([r[scenario.harm] for r in core]) > 0
        assert np.mean([r[scenario.harm] for r in mesa]) > 0
    assert all(r["ledger.imbalance"] == 0 for r in core + mesa)
    checks = compare(core, mesa, scenario.metrics)
    assert len(checks) >= 4, [c.metric for c in checks]  # enough metrics vary to make a test
    failed = [str(c) for c in checks if not c.ok]
    assert not failed, f"{name}: engines differ on\n  " + "\n  ".join(failed)


@pytest.mark.parametrize(
    ("name", "bug", "flagged", "n"),
    [
        # Sessions an hour too long (the spend per hour adjusts, the hours online do not).
        ("benign", {"population.session_hours": 3}, ONLINE, 15),
        # Every gifter's gift rate 15 % too high (more spend for the same gift sizes): large
        # enough that 40 seeds catch it with high power (see the module's docstring).
        ("benign", {"economy.gifter_monthly_spend": 21.0 * 1.15}, "revenue.gross", N_SEEDS),
        # A wrong split of every gift between platform and creator.
        ("card_fraud_hold", {"economy.platform_share": 0.6}, "revenue.creator_earnings", N_SEEDS),
    ],
    ids=["session_hours", "gift_rate_15pct", "platform_share"],
)
def test_the_check_catches_a_broken_engine(name, bug, flagged, n):
    broken = mesa_runs(name, n, **bug)
    checks = {c.metric: c for c in compare(list(core_runs(name)), broken, SCENARIOS[name].metrics)}
    assert not checks[flagged].ok, str(checks[flagged])


def test_compare_leaves_out_null_values_and_holds_the_mean_to_its_t_interval():
    rng = np.random.default_rng(5)
    a = [{"m": float(v)} for v in rng.normal(0, 1, 30)]
    b = [{"m": float(v)} for v in rng.normal(0, 1, 30)]
    a[3]["m"] = b[7]["m"] = np.nan
    (check,) = compare(a, b, ("m",))
    assert check.n == 28 and np.isfinite(check.mean_a) and check.ok
    assert check.t_bound == pytest.approx(stats.t.ppf(1 - 0.01 / 6, 27) * check.se)
    shifted = [{"m": r["m"] + 2.0} for r in b]  # two standard deviations: far outside
    assert not compare(a, shifted, ("m",))[0].ok
