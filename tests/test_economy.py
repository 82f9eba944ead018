import numpy as np
import pytest

from livesim.economy import coins_to_buy, gift_amount, gift_target, watch_choice
from livesim.params import Params


def test_coins_are_bought_in_whole_packs_only_when_the_balance_is_short():
    bought = coins_to_buy(np.array([0.5, 2.0, 3.0, 0.0]), np.array([1.0, 1.0, 0.0, 0.0]), pack_value=1.0)
    assert list(bought) == [0.0, 1.0, 3.0, 0.0]
    assert coins_to_buy(np.array([1.0]), np.array([0.0]), pack_value=0.99)[0] == pytest.approx(1.98)


def test_streams_are_chosen_in_proportion_to_audience():
    rng = np.random.default_rng(0)
    weight = np.array([1.0, 3.0, 100.0])
    picks = watch_choice(rng.random(40_000), np.array([0, 1]), weight)  # creator 2 is not live
    share = (picks == 1).mean()
    assert set(np.unique(picks)) == {0, 1}
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / picks.size)
    assert (watch_choice(rng.random(3), np.array([], np.int64), weight) == -1).all()


def test_a_loyal_gifter_gifts_to_a_live_favourite_else_to_the_stream_watched():
    live = np.array([False, True, False, True])
    favourites = np.array([[0, 3], [0, 2], [1, 3]])
    target = gift_target(np.array([0.1, 0.1, 0.9]), 0.5, favourites, live, browsing=np.array([1, 1, 1]))
    assert list(target) == [3, 1, 1]  # first live favourite; none live → browsing; disloyal → browsing


def test_more_spend_means_proportionally_more_gift_value_and_no_stream_means_none():
    rng = np.random.default_rng(1)
    n = 100_000
    value = np.full(n, 2.0)
    low = gift_amount(rng, np.full(n, 0.5), value, np.zeros(n, np.int64)).mean()
    high = gift_amount(rng, np.full(n, 1.0), value, np.zeros(n, np.int64)).mean()
    assert high / low == pytest.approx(2.0, rel=0.03)
    assert gift_amount(rng, np.full(5, 3.0), np.full(5, 2.0), np.full(5, -1)).sum() == 0
    assert Params().economy.coin_price == pytest.approx(0.99 / 70)
