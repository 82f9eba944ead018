import numpy as np
import pytest
from conftest import small
from scipy import stats

from livesim.rng import Streams
from livesim.world import (
    C_ACCOMPLICE,
    C_RING,
    C_VIOLATING,
    NOT_BORN,
    V_BOT,
    V_FRAUD,
    V_RING,
    actor_counts,
    build_world,
    hour_weights,
    is_live,
    live_schedule,
    missing_typologies,
    online_hours,
    sessions_for_day,
)


def test_audiences_are_heavy_tailed_with_mean_one():
    w = build_world(small(**{"population.creators": 5_000}), Streams(0)).creators.audience
    assert w.mean() == pytest.approx(1.0)
    top = np.sort(w)[::-1]
    assert top[: w.size // 100].sum() / w.sum() > 0.1  # the top 1 % hold a large share


def test_roles_and_reserves_follow_the_configured_shares():
    params = small(**{"population.viewers": 20_000, "actors.ring.funder_share": 0.01,
                      "actors.card_fraud.fraudster_share": 0.005, "actors.bots.bot_share": 0.02,
                      "actors.reserve_accounts": 1.0, "actors.violating.creator_share": 0.1})
    v, c = (w := build_world(params, Streams(0))).viewers, w.creators
    for role, share in ((V_RING, 0.01), (V_FRAUD, 0.005), (V_BOT, 0.02)):
        rows = v.role == role
        assert rows.sum() == 2 * round(share * v.n)          # active plus as many reserves
        assert (v.active[rows]).sum() == round(share * v.n)
        assert (v.born_day[rows & ~v.active] == NOT_BORN).all()
    assert (c.role == C_VIOLATING).sum() == 10
    assert (c.role == C_RING).sum() == w.n_rings * params.actors.ring.creators_per_ring
    assert (v.group[v.role == V_FRAUD] >= 0).all() and (c.role == C_ACCOMPLICE).sum() > 0
    assert not np.isin(v.gifter_ids, np.flatnonzero(v.role != 0)).any()  # bad actors have their own behaviour


def test_a_share_too_small_for_the_population_warns_and_names_the_population_it_needs():
    params = small(**{"population.viewers": 5_000, "actors.bots.bot_share": 0.004,
                      "actors.ring.funder_share": 0.0001, "actors.violating.creator_share": 0.004})
    assert actor_counts(params) == (0, 0, 20, 0)
    with pytest.warns(UserWarning) as caught:
        world = build_world(params, Streams(0))
    assert [str(w.message) for w in caught] == missing_typologies(params)
    assert len(caught) == 2  # the ring (0.5 funders) and the violating creators (0.4 of 100)
    assert "population.viewers ≥ 5,001" in str(caught[0].message)
    assert "population.creators ≥ 126" in str(caught[1].message)
    assert not (world.viewers.role == V_RING).any() and ((world.viewers.role == V_BOT) & world.viewers.active).sum() == 20
    assert missing_typologies(params.replace(**{"population.viewers": 5_001, "population.creators": 126})) == []


def test_the_same_seed_builds_the_same_world():
    a, b = build_world(small(), Streams(5)), build_world(small(), Streams(5))
    assert np.array_equal(a.viewers.spend_rate, b.viewers.spend_rate)
    assert np.array_equal(a.creators.audience, b.creators.audience)


def test_sessions_are_grouped_by_hour_and_end_by_midnight():
    rng = np.random.default_rng(0)
    p = np.full(10_000, 0.5, np.float32)
    ids, hours, offsets = sessions_for_day(rng, p, np.arange(10_000), session_hours=3)
    assert offsets[0] == 0 and offsets[-1] == ids.size and np.all(np.diff(offsets) >= 0)
    assert all((hours[offsets[h]:offsets[h + 1]] == h).all() for h in range(24))
    per_viewer = np.bincount(ids, minlength=10_000)
    assert per_viewer.max() <= 3
    assert abs((per_viewer > 0).mean() - 0.5) < 4 * np.sqrt(0.25 / 10_000)


def test_creators_are_live_for_their_session_hours_only():
    live_from = live_schedule(np.random.default_rng(0), np.array([1.0, 0.0]))
    assert live_from[1] == -1
    start = live_from[0]
    hours = [h for h in range(24) if is_live(live_from, h, 3)[0]]
    assert hours == [h for h in range(start, min(start + 3, 24))]
    by_hour = is_live(live_from, np.arange(24)[:, None], 3)  # the whole day at once
    assert by_hour.shape == (24, 2) and list(np.flatnonzero(by_hour[:, 0])) == hours
    assert not by_hour[:, 1].any()


def test_session_start_hours_follow_the_hour_weights():
    n = 200_000
    viewer, hour, _ = sessions_for_day(np.random.default_rng(3), np.full(n, 0.5, np.float32), np.arange(n),
                                       session_hours=3)
    start = np.full(n, 24)
    np.minimum.at(start, viewer, hour)
    start = start[start < 24]
    observed = np.bincount(start, minlength=24)
    # One session a viewer: session_hours long, or cut short at midnight.
    assert np.bincount(viewer).max() == 3
    assert stats.chisquare(observed, hour_weights() * start.size).pvalue > 0.001


def test_counted_online_hours_match_the_hours_of_drawn_sessions():
    """`online_hours` (only counted) and `sessions_for_day` (drawn) agree in distribution."""
    rng = np.random.default_rng(8)
    p = rng.beta(0.8, 1.2, 3_000).astype(np.float32)
    counted = np.array([online_hours(rng, p, 3) for _ in range(400)])
    drawn = np.array([sessions_for_day(rng, p, np.arange(p.size), 3).viewer.size for _ in range(400)])
    assert stats.ks_2samp(counted, drawn).pvalue > 0.001
    # Mean within 4 standard errors of the exact expectation: Σp × E[hours a session has before midnight].
    hours = (hour_weights() * np.minimum(3, 24 - np.arange(24))).sum()
    expected = p.sum(dtype=np.float64) * hours
    assert abs(counted.mean() - expected) < 4 * counted.std(ddof=1) / np.sqrt(counted.size)
