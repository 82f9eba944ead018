import numpy as np
import pytest
from scipy.stats import norm

from livesim.detection import (
    calibrated_risk,
    daily_false_positive_rate,
    daily_true_positive_rate,
    score_cutoff,
    separation,
)


def test_separation_gives_the_configured_auc():
    rng = np.random.default_rng(1)
    d = separation(0.9)
    benign, bad = rng.standard_normal(200_000), rng.standard_normal(200_000) + d
    auc = (bad[:, None][:2000] > benign[None, :2000]).mean()
    # 4 million pairs from 2,000 × 2,000 draws: the AUC estimate's SE is ≈ 0.005.
    assert auc == pytest.approx(0.9, abs=0.02)


def test_calibrated_risk_is_the_posterior_probability():
    d, prevalence, s = separation(0.95), 0.01, 2.0
    posterior = prevalence * norm.pdf(s - d) / (prevalence * norm.pdf(s - d) + (1 - prevalence) * norm.pdf(s))
    assert calibrated_risk(np.array([s]), 0.95, prevalence)[0] == pytest.approx(posterior, rel=1e-9)


def test_cutoff_is_where_risk_crosses_the_threshold():
    s = score_cutoff(0.8, 0.98, 0.005)
    assert calibrated_risk(np.array([s]), 0.98, 0.005)[0] == pytest.approx(0.8)


def test_lowering_the_threshold_never_lowers_the_flag_rate():
    rates = [daily_false_positive_rate(t, 0.98, 0.005) for t in (0.95, 0.8, 0.5, 0.2)]
    assert rates == sorted(rates)
    tprs = [daily_true_positive_rate(t, 0.98, 0.005, 0.97) for t in (0.95, 0.8, 0.5, 0.2)]
    assert tprs == sorted(tprs)
