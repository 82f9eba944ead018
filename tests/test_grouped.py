import numpy as np
import pytest

from livesim.grouped import Groups


@pytest.mark.parametrize("n", [0, 1, 2, 50, 2_000])
def test_running_sums_equal_a_key_by_key_loop_exactly(n):
    rng = np.random.default_rng(n)
    keys = rng.integers(0, max(n // 5, 1), n)
    values = rng.random(n) * 10
    before, through = Groups(keys).running_sums(values)
    for key in np.unique(keys):
        total = 0.0
        for row in np.flatnonzero(keys == key):
            assert before[row] == total
            total += values[row]
            assert through[row] == total


def test_running_sums_of_distinct_keys_are_the_values():
    before, through = Groups(np.array([9, 4, 7])).running_sums(np.array([3.0, 1.0, 2.0]))
    assert list(before) == [0.0, 0.0, 0.0] and list(through) == [3.0, 1.0, 2.0]


@pytest.mark.parametrize("n", [0, 1, 50, 2_000])
def test_totals_are_each_distinct_keys_sum(n):
    rng = np.random.default_rng(n)
    keys = rng.integers(0, max(n // 5, 1), n)
    values = rng.random(n) * 10
    distinct, totals = Groups(keys).totals(values)
    assert distinct.tolist() == np.unique(keys).tolist()
    np.testing.assert_allclose(totals, [values[keys == k].sum() for k in distinct], rtol=1e-12)
