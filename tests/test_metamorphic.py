"""Metamorphic tests: relations between runs that must hold whatever the exact answer is."""

import numpy as np
import pytest
from conftest import scenario_params

from livesim.core import CoreEngine, run_core


def test_lowering_the_threshold_never_unflags_an_account():
    """Same seed, same draws: whatever a higher threshold actions, a lower one actions too."""
    rules_off = {"detection.rule_velocity_llr": 0.0, "detection.rule_new_account_llr": 0.0,
                 "policy.review_threshold": None, "policy.appeal_rate": 0.0, "days": 10}
    actioned = {}
    for threshold in (0.2, 0.5, 0.9):
        engine = CoreEngine(scenario_params("benign", "baseline", **{**rules_off, "policy.risk_threshold": threshold}))
        engine.run()
        actioned[threshold] = set(np.flatnonzero(engine.platform.enf.ever_actioned))
    assert actioned[0.9] <= actioned[0.5] <= actioned[0.2]
    assert len(actioned[0.2]) > len(actioned[0.9])


def test_doubling_every_amount_doubles_every_money_metric():
    base = scenario_params("card_fraud_wave", "none", days=5)
    doubled = base.replace(**{
        "economy.coin_price": 2 * base.economy.coin_price,
        "economy.gifter_monthly_spend": 2 * base.economy.gifter_monthly_spend,
        "economy.min_payout": 2 * base.economy.min_payout,
        "actors.card_fraud.daily_budget": 2 * base.actors.card_fraud.daily_budget,
    })
    a, b = run_core(base).metrics, run_core(doubled).metrics
    for key in ("revenue.gross", "revenue.platform_net", "revenue.creator_earnings", "harm.fraud_loss", "harm.total"):
        assert b[key] == pytest.approx(2 * a[key], rel=1e-9), key
    assert b["enforcement.actions"] == a["enforcement.actions"]
