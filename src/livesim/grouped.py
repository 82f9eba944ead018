"""Running totals within groups, so that a day of intents can be settled in one pass.

A sender may gift in several hours of a day; its cap and its coin balance carry from one gift to
the next. With the rows in time order, each gift's state is a running total over the sender's
earlier rows. The totals are summed one position at a time (every sender's first row, then every
second row, …), so each is exactly the sum a sender-by-sender loop would form, untouched by
other senders' amounts; a day has at most 24 positions per sender.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Groups"]


class Groups:
    """Rows grouped by key, in array order: sorted once, then any number of running totals.

    Parameters
    ----------
    keys
        One key per row (e.g. the sender of each gift intent).
    """

    def __init__(self, keys: np.ndarray) -> None:
        self.order = np.argsort(keys, kind="stable")
        sorted_keys = keys[self.order]
        self.first = np.ones(keys.size, bool)  # a key's first row, in sorted order
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=self.first[1:])
        self.repeats = keys.size > 0 and not self.first.all()
        self._later = (~self.first).nonzero()[0]  # rows (sorted order) that follow their key's previous row
        # Rows at place k within their key, for k = 1, 2, …: each follows its key's row at place k - 1.
        self._at_place: list[np.ndarray] = []
        if self.repeats:
            rows = np.arange(keys.size)
            position = rows - np.maximum.accumulate(np.where(self.first, rows, 0))
            self._at_place = [(position == k).nonzero()[0] for k in range(1, int(position.max()) + 1)]

    def running_sums(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Running totals of ``values`` within each key, in array order.

        Returns ``(before, through)``: the total of the key's earlier rows, and that total plus
        the row. ``before`` is the previous row's ``through`` exactly (0 for a key's first row),
        so that differences of a function of the running total telescope without rounding.
        """
        values = np.asarray(values, dtype=np.float64)
        if not self.repeats:  # every key once: nothing carries over
            return np.zeros_like(values), values.copy()
        through = values[self.order]
        for at_k in self._at_place:
            through[at_k] += through[at_k - 1]
        before = np.zeros_like(through)
        before[self._later] = through[self._later - 1]
        result_before, result_through = np.empty_like(values), np.empty_like(values)
        result_before[self.order], result_through[self.order] = before, through
        return result_before, result_through
