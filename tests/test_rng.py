import numpy as np

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
