"""Per-point confidence intervals and paired differences against the baseline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from report_fixtures import LEVER, TRUE, make_sweep, metrics_for, write_run
from scipy import stats as sps

from livesim.report.aggregate import ReportError, load_sweep
from livesim.report.stats import (
    difference_ci,
    format_estimate,
    format_number,
    mean_ci,
    resolve_baseline,
    summarize,
)

NET = "revenue.platform_net"


@pytest.fixture(scope="module")
def sweep_and_written(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    written = make_sweep(root)
    return load_sweep(root), written


def test_mean_ci_is_the_student_t_interval():
    x = [3.0, 5.0, 4.0, 8.0, 6.5]
    est = mean_ci(x)
    low, high = sps.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=sps.sem(x))
    assert est == pytest.approx((np.mean(x), low, high, 5))


def test_mean_ci_ignores_nan_and_counts_the_rest():
    est = mean_ci([1.0, math.nan, 3.0])
    assert est.value == 2.0 and est.n == 2 and math.isfinite(est.ci_low)


def test_single_observation_has_a_mean_but_no_interval():
    est = mean_ci([7.0])
    assert est.value == 7.0 and est.n == 1
    assert math.isnan(est.ci_low) and math.isnan(est.ci_high)
    assert format_estimate(*est[:3]) == "7 [no CI: 1 seed]"


def test_no_observation_is_all_nan():
    est = mean_ci([math.nan])
    assert est.n == 0 and math.isnan(est.value)


def test_welch_interval_matches_scipy():
    rng = np.random.default_rng(0)
    x, y = pd.Series(rng.normal(1, 1, 6)), pd.Series(rng.normal(0, 3, 6))
    _, welch = difference_ci(x, y)
    ref = sps.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert (welch.ci_low, welch.ci_high) == pytest.approx((ref.low, ref.high))


def test_paired_interval_matches_scipy_and_uses_only_common_seeds():
    x = pd.Series([1.0, 2.5, 2.0, 4.0, 9.0], index=[0, 1, 2, 3, 4])
    y = pd.Series([0.5, 2.0, 1.0, 3.5], index=[0, 1, 2, 3])
    paired, welch = difference_ci(x, y)
    ref = sps.ttest_rel(x[:4], y).confidence_interval(0.95)
    assert paired.n == welch.n == 4
    assert (paired.ci_low, paired.ci_high) == pytest.approx((ref.low, ref.high))
    assert paired.value == welch.value == pytest.approx((x[:4] - y).mean())


def test_point_means_are_the_means_over_seeds(sweep_and_written):
    sweep, written = sweep_and_written
    summary = summarize(sweep, sweep.points[0])
    expected = written.groupby("threshold")[NET].mean()
    assert summary[f"{NET}.mean"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (summary[f"{NET}.n"] == 5).all()
    assert summary[LEVER].tolist() == [0.5, 0.7, 0.8, 0.9]


def test_paired_interval_is_narrower_than_unpaired_under_common_random_numbers(
        sweep_and_written):
    sweep, _ = sweep_and_written
    summary = summarize(sweep, f"{LEVER}=0.5").drop(index=f"{LEVER}=0.5")
    paired = summary[f"{NET}.delta_ci_high"] - summary[f"{NET}.delta_ci_low"]
    welch = summary[f"{NET}.delta_welch_ci_high"] - summary[f"{NET}.delta_welch_ci_low"]
    assert (paired * 10 < welch).all()


def test_paired_delta_covers_the_true_difference(sweep_and_written):
    sweep, _ = sweep_and_written
    summary = summarize(sweep, f"{LEVER}=0.5")
    for t in TRUE:
        row = summary.loc[f"{LEVER}={t}"]
        true = TRUE[t]["net"] - TRUE[0.5]["net"]
        assert row[f"{NET}.delta_ci_low"] <= true <= row[f"{NET}.delta_ci_high"]
    base = summary.loc[f"{LEVER}=0.5"]
    assert base[f"{NET}.delta"] == 0 and base[f"{NET}.delta_ci_high"] == 0


def test_metric_with_only_nulls_has_n_zero(sweep_and_written):
    sweep, _ = sweep_and_written
    summary = summarize(sweep, sweep.points[0])
    assert (summary["enforcement.recall.n"] == 0).all()
    assert summary["enforcement.recall.mean"].isna().all()


def test_single_seed_sweep_has_means_without_intervals(tmp_path):
    make_sweep(tmp_path, seeds=[3])
    sweep = load_sweep(tmp_path)
    summary = summarize(sweep, sweep.points[0])
    assert summary[f"{NET}.mean"].notna().all() and summary[f"{NET}.ci_low"].isna().all()
    assert summary[f"{NET}.delta"].notna().all() and summary[f"{NET}.delta_ci_low"].isna().all()


def test_baseline_defaults_to_first_point_and_can_be_named(sweep_and_written):
    sweep, _ = sweep_and_written
    assert resolve_baseline(sweep, None) == f"{LEVER}=0.5"
    assert resolve_baseline(sweep, f"{LEVER}=0.8") == f"{LEVER}=0.8"
    assert resolve_baseline(sweep, f"+{LEVER}=0.80") == f"{LEVER}=0.8"


@pytest.mark.parametrize(("spec", "message"), [
    (f"{LEVER}=0.6", "matches no point"),
    ("policy.payout_hold_days=7", "not an override of this sweep"),
    (f"{LEVER}=0.8 seed=1", "names a seed"),
])
def test_unknown_baseline_lists_the_available_points(sweep_and_written, spec, message):
    sweep, _ = sweep_and_written
    with pytest.raises(ReportError, match=message) as info:
        resolve_baseline(sweep, spec)
    assert f"{LEVER}=0.9" in str(info.value)


def test_partial_baseline_matching_several_points_is_an_error(tmp_path):
    for i, (t, hold) in enumerate([(0.5, 7), (0.5, 14), (0.9, 7)]):
        write_run(tmp_path / str(i), [f"{LEVER}={t}", f"policy.payout_hold_days={hold}",
                                      "seed=0"], 0, metrics_for(t, 0))
    sweep = load_sweep(tmp_path)
    assert resolve_baseline(sweep, f"{LEVER}=0.9") == f"{LEVER}=0.9 policy.payout_hold_days=7"
    with pytest.raises(ReportError, match="matches 2 points"):
        resolve_baseline(sweep, f"{LEVER}=0.5")


@pytest.mark.parametrize(("x", "text"), [
    (12345.678, "12,346"), (123.4, "123"), (12.345, "12.3"), (0.004567, "0.00457"),
    (0.0, "0"), (math.nan, "n/a"), (-1500.0, "-1,500"),
])
def test_format_number(x, text):
    assert format_number(x) == text
