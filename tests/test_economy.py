import numpy as np
import pytest
from scipy import stats

from livesim.economy import StreamChoice, coins_to_buy, gift_amount, gift_target
from livesim.grouped import Groups
from livesim.params import Params


def test_coins_are_bought_in_whole_packs_only_when_the_balance_is_short():
    bought = coins_to_buy(np.array([0.5, 2.0, 3.0, 0.0]), np.array([1.0, 1.0, 0.0, 0.0]), pack_value=1.0)
    assert list(bought) == [0.0, 1.0, 3.0, 0.0]
    assert coins_to_buy(np.array([1.0]), np.array([0.0]), pack_value=0.99)[0] == pytest.approx(1.98)


def test_a_senders_leftover_coins_carry_to_its_next_gift_in_the_same_batch():
    # Sender 7 starts with 0.5 and gifts 0.75, 0.5, 0.25, 2.0 in turn (packs of 1.0); sender 3
    # gifts once. Gift by gift: buy 1 (left 0.75), buy 0 (0.25), buy 0 (0), buy 2 (0).
    sender = np.array([7, 3, 7, 7, 7])
    amount = np.array([0.75, 1.0, 0.5, 0.25, 2.0])
    balance = np.array([0.5, 0.0, 0.5, 0.5, 0.5])
    bought = coins_to_buy(amount, balance, pack_value=1.0, senders=Groups(sender))
    assert list(bought) == [1.0, 1.0, 0.0, 0.0, 2.0]
    one_by_one, left = [], 0.5
    for a in amount[sender == 7]:
        b = coins_to_buy(np.array([a]), np.array([left]), pack_value=1.0)[0]
        one_by_one.append(b)
        left += b - a
    assert one_by_one == list(bought[sender == 7])


def test_streams_are_chosen_in_proportion_to_audience():
    rng = np.random.default_rng(0)
    weight = np.array([1.0, 3.0, 100.0])
    live = np.array([[True, True, False],    # hour 0: creator 2 is not live
                     [False, False, False],  # hour 1: nobody is live
                     [False, True, True]])   # hour 2
    choice = StreamChoice(live, weight)
    n = 40_000

    def pick(hour, u=None):
        u = rng.random(hour.size) if u is None else u
        return choice.pick(rng.random(hour.size), u, hour)

    picks = pick(np.zeros(n, np.intp))
    share = (picks == 1).mean()
    assert set(np.unique(picks)) == {0, 1}
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / picks.size)
    assert (pick(np.ones(3, np.intp)) == -1).all()
    later = pick(np.full(n, 2))
    share = (later == 2).mean()
    assert set(np.unique(later)) == {1, 2}
    assert abs(share - 100 / 103) < 4 * np.sqrt(share * (1 - share) / later.size)
    # A draw just under 1 stays in its hour (h + u can round up to h + 1), on a creator with weight.
    assert pick(np.array([0]), np.array([np.nextafter(1.0, 0.0)]))[0] == 1
    silent = StreamChoice(np.ones((3, 3), bool), np.array([1.0, 2.0, 0.0]))  # creator 2 has no audience
    assert silent.pick(np.zeros(1), np.array([np.nextafter(1.0, 0.0)]), np.array([2]))[0] == 1


def test_a_boost_adds_to_audience_weight_and_changing_it_moves_few_choices():
    rng = np.random.default_rng(1)
    n = 200_000
    audience = np.array([1.0, 2.0, 1.0, 4.0])
    live = np.ones((1, 4), bool)
    hour = np.zeros(n, np.intp)
    u_boost, u = rng.random(n), rng.random(n)
    boost = np.array([0.0, 0.0, 2.0, 0.0])  # bots watch creator 2
    picks = StreamChoice(live, audience, boost).pick(u_boost, u, hour)
    expected = (audience + boost) / (audience + boost).sum()
    assert stats.chisquare(np.bincount(picks, minlength=4), expected * n).pvalue > 0.001
    # Half the bots are actioned: only viewers who followed the boost, or whose first draw falls
    # between the two boost shares (2/10 and 1/9), may watch something else.
    after = StreamChoice(live, audience, boost / 2).pick(u_boost, u, hour)
    assert (after != picks).mean() <= 2 / 10 + 1e-9
    assert np.array_equal(after[u_boost >= 2 / 10], picks[u_boost >= 2 / 10])


def test_one_viewers_stream_choice_equals_the_vectorized_one():
    rng = np.random.default_rng(2)
    live = rng.random((24, 30)) < 0.3
    live[5] = False  # an hour with nobody live
    choice = StreamChoice(live, rng.lognormal(size=30), np.where(rng.random(30) < 0.2, 3.0, 0.0))
    u_boost, u, hour = rng.random(2_000), rng.random(2_000), rng.integers(0, 24, 2_000)
    many = choice.pick(u_boost, u, hour)
    one = [choice.pick_one(float(a), float(b), int(h)) for a, b, h in zip(u_boost, u, hour, strict=True)]
    assert list(many) == one and (many == -1).any()


def test_a_loyal_gifter_gifts_to_a_live_favourite_else_to_the_stream_watched():
    live = np.array([False, True, False, True])
    favourites = np.array([[0, 3], [0, 2], [1, 3]])
    target = gift_target(np.array([0.1, 0.1, 0.9]), 0.5, favourites, live[favourites],
                         browsing=np.array([1, 1, 1]))
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
