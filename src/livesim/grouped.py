"""Running totals within groups, so that a day of intents can be settled in one pass.

A sender may gift in several hours of a day; its cap and its coin balance carry from one gift to
the next. With the rows in time order, each gift's state is a running total over the sender's
earlier rows. The totals are summed one position at a time (every sender's first row, then every
second row, …), so each is exactly the sum a sender-by-sender loop would form, untouched by
other senders' amounts; a day has at most 24 positions per sender.
"""

from __future__ import annotations

import numpy as np

__all__ = ["running_sums"]


def running_sums(values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running totals of ``values`` within each key, in array order.

    Returns ``(before, through)``: the total of the key's earlier rows, and that total plus the
    row. ``before`` is the previous row's ``through`` exactly (0 for a key's first row), so that
    differences of a function of the running total telescope without rounding.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size <= 1:
        return np.zeros_like(values), values.copy()
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.empty(order.size, bool)
    first[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    if first.all():  # every key once: nothing carries over
        return np.zeros_like(values), values.copy()
    start = np.flatnonzero(first)
    position = np.arange(order.size) - np.repeat(start, np.diff(np.append(start, order.size)))
    through = values[order]
    by_position = np.argsort(position, kind="stable")
    bounds = np.searchsorted(position[by_position], np.arange(1, position.max() + 2))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        rows = by_position[lo:hi]  # rows at position k follow their key's row at position k - 1
        through[rows] += through[rows - 1]
    before = np.zeros_like(through)
    later = ~first
    before[later] = through[np.flatnonzero(later) - 1]
    result_before, result_through = np.empty_like(values), np.empty_like(values)
    result_before[order], result_through[order] = before, through
    return result_before, result_through
