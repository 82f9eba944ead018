"""Running totals within groups, so that a day of intents can be settled in one pass.

A sender may gift in several hours of a day; its cap and its coin balance carry from one gift to
the next. With the rows in time order, each gift's state is a running total over the sender's
earlier rows. The totals are summed one position at a time (every sender's first row, then every
second row, …), so each is exactly the sum a sender-by-sender loop would form, untouched by
other senders' amounts; a day has at most 24 positions per sender.
"""

from __future__ import annotations

import numpy as np

from livesim import kernels

__all__ = ["Groups"]


class Groups:
    """Rows grouped by key, in array order: sorted once, then any number of running totals.

    Parameters
    ----------
    keys
        One key per row (e.g. the sender of each gift intent).
    """

    def __init__(self, keys: np.ndarray) -> None:
        self.order = keys.argsort(kind="stable")
        self.sorted_keys = keys[self.order]
        self.first = np.ones(keys.size, bool)  # a key's first row, in sorted order
        np.not_equal(self.sorted_keys[1:], self.sorted_keys[:-1], out=self.first[1:])
        self.repeats = keys.size > 0 and not self.first.all()
        self._later: np.ndarray | None = None
        self._places: list[np.ndarray] | None = None

    def totals(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct keys (sorted) and the total of ``values`` over each key's rows."""
        starts = self.first.nonzero()[0]
        if starts.size == 0:
            return self.sorted_keys, np.zeros(0)
        return self.sorted_keys[starts], np.add.reduceat(np.asarray(values, np.float64)[self.order], starts)

    def running_sums(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Running totals of ``values`` within each key, in array order.

        Returns ``(before, through)``: the total of the key's earlier rows, and that total plus
        the row. ``before`` is the previous row's ``through`` exactly (0 for a key's first row),
        so that differences of a function of the running total telescope without rounding.
        """
        values = np.asarray(values, dtype=np.float64)
        if not self.repeats:  # every key once: nothing carries over
            return np.zeros_like(values), values.copy()
        if kernels.running_sums is not None:  # the same sums in one compiled loop
            return kernels.running_sums(values, self.order, self.first)
        later, at_place = self._positions()
        through = values[self.order]
        for at_k in at_place:
            through[at_k] += through[at_k - 1]
        before = np.zeros_like(through)
        before[later] = through[later - 1]
        result_before, result_through = np.empty_like(values), np.empty_like(values)
        result_before[self.order], result_through[self.order] = before, through
        return result_before, result_through

    def _positions(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Rows (sorted order) that follow their key's previous row, and those rows by place.

        Place k = 1, 2, … is a row's position within its key; each follows its key's row at
        place k - 1. Worked out on first use and kept.
        """
        if self._places is None or self._later is None:
            rows = np.arange(self.first.size)
            position = rows - np.maximum.accumulate(np.where(self.first, rows, 0))
            self._places = [(position == k).nonzero()[0] for k in range(1, int(position.max()) + 1)]
            self._later = (~self.first).nonzero()[0]
        return self._later, self._places
