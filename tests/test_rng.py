import numpy as np
from scipy import stats

from livesim.rng import Streams


def test_same_seed_name_and_key_give_the_same_draws():
    a = Streams(7).get("tick", 3).random(5)
    b = Streams(7).get("tick", 3).random(5)
    assert np.array_equal(a, b)


def test_streams_do_not_depend_on_what_else_was_drawn():
    s = Streams(7)
    s.get("detection", 1).random(1000)  # another component draws a lot
    assert np.array_equal(s.get("tick", 3).random(5), Streams(7).get("tick", 3).random(5))


def test_names_keys_and_seeds_give_different_streams():
    base = Streams(7).get("tick", 3).random(5)
    assert not np.array_equal(base, Streams(7).get("tick", 4).random(5))
    assert not np.array_equal(base, Streams(7).get("schedule", 3).random(5))
    assert not np.array_equal(base, Streams(8).get("tick", 3).random(5))


def test_per_account_draws_do_not_depend_on_which_accounts_are_asked_for():
    s = Streams(11)
    everyone = s.uniform_at("review", 4, np.arange(1_000))
    some = np.array([999, 3, 500])
    assert np.array_equal(s.uniform_at("review", 4, some), everyone[some])
    assert not np.array_equal(s.uniform_at("review", 5, some), everyone[some])    # another day
    assert not np.array_equal(s.uniform_at("appeals", 4, some), everyone[some])   # another stream
    assert not np.array_equal(Streams(12).uniform_at("review", 4, some), everyone[some])


def test_per_account_draws_are_uniform_and_normal():
    s = Streams(2)
    u = s.uniform_at("review", 0, np.arange(200_000))
    assert u.min() > 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 0.001
    z = s.normal_at("detection", 0, np.arange(200_000))
    assert stats.kstest(z, "norm").pvalue > 0.001
    # Neighbouring accounts' draws are uncorrelated (|r| within 4 SE of 0).
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4 / np.sqrt(u.size)


def test_a_reused_generator_draws_as_a_new_one_and_is_reseeded_in_place():
    s = Streams(7)
    first = s.get("day", 3, reuse=True)
    first.random(1000)  # used up; the next reuse call re-seeds it whatever it drew
    again = s.get("day", 3, reuse=True)
    assert again is first
    assert np.array_equal(again.random(5), Streams(7).get("day", 3).random(5))
    assert np.array_equal(s.get("day", 4, reuse=True).random(5), Streams(7).get("day", 4).random(5))
    assert s.get("day", 4) is not s.get("day", 4, reuse=True)  # without reuse: always a new one


def test_generators_keyed_by_several_parts_differ_by_each_part():
    draws = {key: Streams(7).get("tick", *key).random(3).tobytes() for key in [(), (0,), (1,), (0, 1), (1, 0)]}
    assert len(set(draws.values())) == len(draws)


def test_a_prepared_generator_is_the_one_reuse_reseeds():
    s = Streams(7)
    s.prepare("day")
    prepared = s._reused["day"]
    assert s.get("day", 2, reuse=True) is prepared
    assert np.array_equal(prepared.random(5), Streams(7).get("day", 2).random(5))
