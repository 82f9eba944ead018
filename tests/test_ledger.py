import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livesim.core import CoreEngine
from livesim.ledger import Ledger
from livesim.params import Params


def test_postings_keep_accounts_summing_to_zero_and_reconcile():
    led = Ledger()
    led.purchase(100.0)
    led.gift(60.0, platform_part=30.0)
    led.payout(20.0)
    led.chargeback(refunded=50.0, from_coins=40.0, from_creators=5.0)
    assert sum(led.balance.values()) == pytest.approx(0.0)
    assert led.balance["coins"] == pytest.approx(0.0)          # 100 − 60 − 40
    assert led.balance["creators"] == pytest.approx(5.0)       # 30 − 20 − 5
    assert led.balance["platform"] == pytest.approx(25.0)      # 30 − 5 unrecovered
    assert led.check(coins_held=0.0, creators_owed=5.0) == 0.0


def test_a_gap_between_ledger_and_agents_is_reported():
    led = Ledger()
    led.purchase(100.0)
    assert led.check(coins_held=90.0, creators_owed=0.0) == pytest.approx(10.0)
    assert led.max_imbalance == pytest.approx(10.0)


class CheckedEngine(CoreEngine):
    """Records the reconciliation gap at every tick, not only the maximum."""

    def __init__(self, params):
        super().__init__(params)
        self.gaps = []
        check = self.platform.ledger.check

        def checked(*args):
            gap = check(*args)
            self.gaps.extend(np.atleast_1d(gap).tolist())  # one gap, or one per hour of a day
            return gap

        self.platform.ledger.check = checked


@pytest.mark.filterwarnings("ignore:.*rounds to 0:UserWarning")  # tiny worlds may lack a typology
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    viewers=st.integers(200, 3000),
    creators=st.integers(2, 60),
    share=st.floats(0.0, 1.0),
    hold=st.integers(0, 10),
    ring=st.sampled_from([0.0, 0.01]),
    fraud=st.sampled_from([0.0, 0.02]),
    bots=st.sampled_from([0.0, 0.02]),
    minors=st.floats(0.0, 0.3),
    threshold=st.sampled_from([None, 0.3, 0.8]),
    action=st.sampled_from(["restrict", "suspend"]),
    adaptation=st.sampled_from([0.0, 1.0]),
    cap=st.sampled_from([None, 5.0, 500.0]),
)
def test_ledger_balances_at_every_tick_for_any_valid_config(seed, viewers, creators, share, hold, ring, fraud,
                                                            bots, minors, threshold, action, adaptation, cap):
    params = Params().replace(**{
        "seed": seed, "days": 2, "population.viewers": viewers, "population.creators": creators,
        "economy.platform_share": share, "policy.payout_hold_days": hold,
        "policy.risk_threshold": threshold, "policy.review_threshold": None if threshold is None else 0.2,
        "policy.action": action, "policy.daily_gift_cap": cap,
        "actors.ring.funder_share": ring, "actors.card_fraud.fraudster_share": fraud,
        "actors.card_fraud.chargeback_delay_median_days": 2.0, "actors.card_fraud.chargeback_delay_max_days": 5,
        "actors.bots.bot_share": bots, "actors.minors.share": minors, "actors.adaptation": adaptation,
        "actors.violating.creator_share": 0.1,
    })
    engine = CheckedEngine(params)
    result = engine.run()
    assert len(engine.gaps) >= 48  # every tick (and every day end) was checked
    assert max(engine.gaps) == 0.0
    assert result.metrics["ledger.imbalance"] == 0.0
    led = engine.platform.ledger.balance
    # Money in = money out + money still on the platform.
    assert -led["card_payments"] == pytest.approx(
        led["payouts"] + led["refunds"] + led["coins"] + led["creators"] + led["platform"], rel=1e-9, abs=1e-9)


def test_posting_hours_at_once_leaves_the_balances_of_posting_them_one_by_one():
    rng = np.random.default_rng(4)
    bought, sent = rng.random(24) * 100, rng.random(24) * 90
    one_by_one, at_once = Ledger(), Ledger()
    one_by_one.purchase(3.0)
    at_once.purchase(3.0)
    after_each_hour = []
    for h in range(24):
        one_by_one.purchase(bought[h])
        one_by_one.gift(sent[h], 0.3 * sent[h])
        after_each_hour.append(dict(one_by_one.balance))
    after = at_once.post_hourly(Ledger.purchase_postings(bought) + Ledger.gift_postings(sent, 0.3 * sent))
    assert at_once.balance == one_by_one.balance  # bit for bit: same additions, same order
    for account, by_hour in after.items():
        assert by_hour.tolist() == [b[account] for b in after_each_hour]


def test_hourly_check_reports_the_hour_that_does_not_reconcile():
    led = Ledger()
    after = led.post_hourly(Ledger.purchase_postings(np.array([10.0, 0.0, 5.0])))
    gaps = led.check(np.array([10.0, 10.0, 14.0]), np.zeros(3), after)
    assert gaps.tolist() == [0.0, 0.0, pytest.approx(1.0)]
    assert led.max_imbalance == pytest.approx(1.0)
    with pytest.raises(ValueError, match="negative posting"):
        led.post_hourly(Ledger.purchase_postings(np.array([1.0, -2.0])))
