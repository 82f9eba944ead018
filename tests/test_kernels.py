"""The compiled settlement loops give exactly what their numpy versions give, and can be switched off."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livesim import kernels
from livesim.core import CoreEngine
from livesim.grouped import Groups
from livesim.params import Params
from livesim.platform import _balances_by_hour

pytestmark = pytest.mark.skipif(not kernels.load(), reason="numba is not installed or LIVESIM_NUMBA=0")

# Amounts as settlement sees them: mostly ordinary money, some tiny or huge, so that the order of
# additions shows in the last bits if a loop got it wrong.
amounts = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.1, 0.2, 0.3, 1e-12, 3.3333333333333335, 7e15])


def without_kernels(monkeypatch, call):
    with monkeypatch.context() as m:
        m.setattr(kernels, "running_sums", None)
        m.setattr(kernels, "balances_by_hour", None)
        return call()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), amounts), min_size=1, max_size=80))
def test_running_sums_match_numpy_bit_for_bit(rows):
    keys = np.array([k for k, _ in rows], np.int64)
    values = np.array([v for _, v in rows])
    compiled = Groups(keys).running_sums(values)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(kernels, "running_sums", None)
        numpy_path = Groups(keys).running_sums(values)
    for got, expected in zip(compiled, numpy_path, strict=True):
        assert got.tobytes() == expected.tobytes()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 23), amounts | amounts.map(lambda a: -a)),
                                    max_size=80), st.integers(0, 2**32 - 1), st.booleans())
def test_balances_by_hour_match_numpy_bit_for_bit(n_accounts, rows, seed, crowded):
    # Crowded: few accounts and hours, so that a cell sums several changes (a creator's credits in an hour).
    rows = [(a % (3 if crowded else n_accounts), h % (2 if crowded else 24), c) for a, h, c in rows]
    n_accounts = max(n_accounts, 3)
    balance = np.random.default_rng(seed).uniform(0, 1e6, n_accounts)
    account = np.array([a for a, _, _ in rows], np.int64)
    hour = np.array([h for _, h, _ in rows], np.intp)
    change = np.array([c for _, _, c in rows], float)
    compiled_balance, numpy_balance = balance.copy(), balance.copy()
    compiled = _balances_by_hour(compiled_balance, account, hour, change, 24)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(kernels, "balances_by_hour", None)
        expected = _balances_by_hour(numpy_balance, account, hour, change, 24)
    assert compiled.shape == expected.shape and compiled.tobytes() == expected.tobytes()
    assert compiled_balance.tobytes() == numpy_balance.tobytes()


@pytest.mark.parametrize("overrides", [
    {},  # the default policy: caps, so senders' running totals carry from hour to hour
    {"policy.daily_gift_cap": 15.0, "actors.ring.pattern": "layered", "actors.adaptation": 1.0, "days": 6},
])
def test_a_run_is_bit_identical_with_and_without_the_compiled_loops(monkeypatch, overrides):
    params = Params().replace(**{"population.viewers": 8_000, "population.creators": 160, "days": 4,
                                 "actors.ring.funder_share": 0.001, "actors.card_fraud.fraudster_share": 0.001,
                                 **overrides})
    compiled = CoreEngine(params).run()
    numpy_path = without_kernels(monkeypatch, lambda: CoreEngine(params).run())
    strip = lambda m: {k: v for k, v in m.items() if not k.startswith("perf.")}  # noqa: E731
    assert repr(strip(compiled.metrics)) == repr(strip(numpy_path.metrics))
    assert repr(compiled.daily) == repr(numpy_path.daily)
    assert compiled.metrics["revenue.gross"] > 0


@pytest.mark.parametrize("setting", ["0", "off"])
def test_livesim_numba_0_runs_the_numpy_path(setting):
    code = ("from livesim import kernels; from livesim.core import CoreEngine; from livesim.params import Params\n"
            "CoreEngine(Params().replace(**{'population.viewers': 2000, 'population.creators': 40, 'days': 1})).run()\n"
            "print(kernels.running_sums is None and kernels.balances_by_hour is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "LIVESIM_NUMBA": setting})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_a_numba_that_cannot_compile_falls_back_to_numpy_with_a_warning(monkeypatch):
    def broken(numba):
        raise RuntimeError("LLVM went away")

    monkeypatch.setattr(kernels, "_loaded", False)
    monkeypatch.setattr(kernels, "running_sums", None)
    monkeypatch.setattr(kernels, "balances_by_hour", None)
    monkeypatch.setattr(kernels, "_jit", broken)
    with pytest.warns(UserWarning, match="numba could not compile livesim's loops .*LLVM went away"):
        assert kernels.load() is False
    assert kernels.load() is False and kernels.running_sums is None  # and stays so: one path per process


def test_the_compiled_balance_table_refuses_out_of_range_accounts_and_hours():
    # Compiled code has no bounds checks: without this, a bad index would write outside the table.
    for account, hour in [(5, 0), (-1, 0), (0, 24), (0, -1)]:
        with pytest.raises(IndexError, match="out of range"):
            _balances_by_hour(np.zeros(5), np.array([account]), np.array([hour]), np.ones(1), 24)
