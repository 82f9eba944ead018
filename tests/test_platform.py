"""The platform's settlement and day end: batching a day changes no decision, skipping changes no row."""

import numpy as np
import pytest
from conftest import scenario_params, small, without_perf

from livesim.core import CoreEngine
from livesim.platform import Platform
from livesim.policy import GiftBatch
from livesim.world import V_BENIGN


def test_settling_a_whole_day_at_once_equals_settling_it_hour_by_hour():
    params = small(**{"policy.daily_gift_cap": 2.0, "policy.new_account_daily_cap": 1.0,
                      "actors.card_fraud.fraudster_share": 0.01, "actors.ring.funder_share": 0.005})
    day_at_once, hour_by_hour = CoreEngine(params), CoreEngine(params)
    batch, _ = day_at_once.day_intents(0)
    same_batch, _ = hour_by_hour.day_intents(0)
    sent = day_at_once.platform.settle(batch, 0, reconcile_each_hour=True)
    sent_hourly = np.concatenate([hour_by_hour.platform.settle(same_batch.take(same_batch.hour == h), 0)
                                  for h in range(24)])
    # The case is a real one: senders gift in several hours and the cap binds after the first.
    assert np.bincount(batch.viewer).max() > 1
    assert ((sent < batch.intent) & (sent > 0)).any() and (sent == 0).any()
    # Hour by hour, a cap's remainder comes from today's spend summed gift by gift; at once, from
    # running totals of what was wanted: equal in exact arithmetic, so to float64 rounding here.
    tol = 1e-12
    np.testing.assert_allclose(sent, sent_hourly, rtol=0, atol=tol)
    a, b = day_at_once.platform, hour_by_hour.platform
    np.testing.assert_allclose(a.coins, b.coins, rtol=0, atol=tol)
    np.testing.assert_allclose(a.today_credit, b.today_credit, rtol=1e-12)
    for account, value in a.ledger.balance.items():
        assert value == pytest.approx(b.ledger.balance[account], rel=1e-12, abs=1e-9)
    assert a.ledger.max_imbalance == 0.0


@pytest.mark.parametrize("policy", [
    {},
    {"policy.payout_hold_days": 7, "policy.hold_on_review": True},
    {"policy.payout_hold_days": 3, "economy.min_payout": 1_000.0},
    {"policy.payout_hold_days": 0},
], ids=["baseline", "hold-7-on-review", "hold-3-high-minimum", "no-hold"])
def test_skipping_run_off_days_and_payouts_on_which_nothing_is_due_changes_no_result(monkeypatch, policy):
    params = scenario_params("card_fraud_wave", "baseline", seed=3, days=4,
                             **{"population.viewers": 5_000, "population.creators": 100, **policy})
    fast = CoreEngine(params).run()
    runoff = [row for row in fast.daily if row["runoff"]]
    monkeypatch.setattr(Platform, "_busy_days", lambda self, days: list(days))
    monkeypatch.setattr(Platform, "_clears_on", lambda self, day: True)
    full = CoreEngine(params).run()
    assert fast.daily == full.daily
    assert without_perf(fast.metrics) == without_perf(full.metrics)
    # The case is a real one: chargebacks land on some run-off days, most have nothing due.
    assert sum(row["chargebacks"] > 0 for row in runoff) >= 3
    assert sum(row["chargebacks"] == 0 and row["payouts"] == 0 for row in runoff) > 30


def test_a_batch_out_of_hour_order_or_with_a_sender_twice_in_an_hour_is_refused():
    engine = CoreEngine(small())
    batch, _ = engine.day_intents(0)
    backwards = batch.take(np.arange(len(batch))[::-1])
    with pytest.raises(ValueError, match="hour order"):
        engine.platform.settle(backwards, 0)
    row = np.array([0, 0])
    with pytest.raises(ValueError, match="two gift intents in one hour"):
        engine.platform.settle(batch.take(row), 0)


def test_only_accounts_that_can_buy_coins_have_a_wallet_and_others_cannot_be_given_coins():
    engine = CoreEngine(small(**{"actors.card_fraud.fraudster_share": 0.01}))
    plat, v = engine.platform, engine.world.viewers
    has_wallet = plat.wallet < plat.coins.size
    can_buy = np.zeros(v.n, bool)
    can_buy[v.gifter_ids] = True
    can_buy |= v.role != V_BENIGN
    assert np.array_equal(has_wallet, can_buy) and 0 < has_wallet.sum() < v.n
    watcher = int(np.flatnonzero(~has_wallet)[0])
    assert plat.coin_balance(watcher) == 0.0
    with pytest.raises(IndexError):  # a gift from an account without a wallet is a bug, not a silent write
        plat.settle(GiftBatch(np.array([watcher]), np.array([0]), np.array([1.0])), 0)
