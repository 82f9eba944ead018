"""Compiled (numba) loops for two primitives of the vectorized core's settlement, with numpy as the fallback.

At small scale a core day is a few hundred numpy calls on arrays of a few hundred rows, so the
cost is the calls, not the arithmetic. Two primitives that settlement calls every day take a dozen
calls each in numpy and one loop here:

* :func:`running_sums` — running totals within groups (:meth:`livesim.grouped.Groups.running_sums`);
* :func:`balances_by_hour` — balances of the touched accounts after each hour
  (:func:`livesim.platform._balances_by_hour`).

Each loop adds the same numbers in the same order as its numpy version, so results are bit-identical
with or without numba (a test checks both on random inputs and on whole runs). Neither holds a
policy rule: gating, scoring and every other rule stay in numpy, defined once.

The loops are compiled (or loaded from numba's cache) by :func:`load`, which the core calls when it
builds an engine, so a run never pays for compiling. Without numba (or if it cannot compile), or
with ``LIVESIM_NUMBA=0`` (or ``false``, ``no``, ``off``) in the environment, the numpy versions run.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np

__all__ = ["balances_by_hour", "load", "running_sums"]

#: The compiled loops once :func:`load` has run and numba is in use; ``None`` otherwise.
running_sums: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
balances_by_hour: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], np.ndarray] | None = None
_loaded = False


def load() -> bool:
    """Compile the loops (or load them from numba's cache) unless disabled; return whether they are in use."""
    global running_sums, balances_by_hour, _loaded
    if _loaded:
        return running_sums is not None
    _loaded = True
    if os.environ.get("LIVESIM_NUMBA", "1").strip().lower() in _OFF:
        return False
    try:
        import numba
    except ImportError:
        return False
    try:
        jit = _jit(numba)
        sums, balances = jit(_running_sums_loop), jit(_balances_by_hour_loop)
        # Compile for the types the core passes, here rather than inside a timed run.
        rows = np.zeros(2, np.intp)
        sums(np.zeros(2), rows, np.ones(2, bool))
        balances(np.zeros(2), rows, rows, np.zeros(2), 24)
    except Exception as err:  # a broken numba install: the numpy path gives the same results
        warnings.warn(f"numba could not compile livesim's loops ({type(err).__name__}: {err}); "
                      "using the numpy versions (same results, a little slower)", stacklevel=2)
        return False
    running_sums, balances_by_hour = sums, balances
    return True


_OFF = ("0", "false", "no", "off")  # LIVESIM_NUMBA values that switch the compiled loops off


def _jit(numba: object) -> Callable[[Callable], Callable]:
    """Numba's njit with its on-disk cache where the package folder is writable, without it elsewhere."""
    def jit(loop: Callable) -> Callable:
        try:
            return numba.njit(cache=True)(loop)
        except RuntimeError:  # no cache locator (e.g. a read-only install): compile in each process
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return numba.njit(loop)
    return jit


def _running_sums_loop(values: np.ndarray, order: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Before and through running totals of ``values`` within groups; rows by group in ``order``, ``first`` of each."""
    before = np.zeros(values.size)
    through = np.empty(values.size)
    total = 0.0
    for position in range(order.size):
        row = order[position]
        if first[position]:
            total = values[row]
        else:
            before[row] = total
            total = total + values[row]
        through[row] = total
    return before, through


def _balances_by_hour_loop(balance: np.ndarray, account: np.ndarray, hours: np.ndarray, change: np.ndarray,
                           n_hours: int) -> np.ndarray:
    """See :func:`livesim.platform._balances_by_hour` (same table, same order of additions)."""
    column = np.full(balance.size, -1, np.intp)  # each touched account's column; -1: untouched
    for row in range(account.size):  # compiled code checks no bounds: refuse a bad index here
        if not (0 <= account[row] < balance.size and 0 <= hours[row] < n_hours):
            raise IndexError("an account or hour out of range")
        column[account[row]] = 0
    ids = np.empty(min(account.size, balance.size), np.intp)  # the touched accounts, by column
    touched = 0
    for a in range(balance.size):  # columns in account order, as numpy's nonzero gives them
        if column[a] == 0:
            column[a] = touched
            ids[touched] = a
            touched += 1
    table = np.zeros((n_hours + 1, touched))
    for row in range(account.size):
        table[hours[row] + 1, column[account[row]]] += change[row]
    for k in range(touched):
        table[0, k] = balance[ids[k]]
    for h in range(1, n_hours + 1):
        for k in range(touched):
            table[h, k] = table[h - 1, k] + table[h, k]
    for k in range(touched):
        balance[ids[k]] = table[n_hours, k]
    return table
