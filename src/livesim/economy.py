"""Behaviour rules of organic viewers: which stream they watch, whom they gift, how much.

Pure functions on arrays of any length (one agent is an array of one), shared by both engines.
"""

from __future__ import annotations

import numpy as np

from livesim.grouped import Groups
from livesim.params import Params
from livesim.world import C_VIOLATING

__all__ = ["StreamChoice", "coins_to_buy", "gift_amount", "gift_rate", "gift_target"]


class _HourlyDraw:
    """Draws a live creator in proportion to ``weight``, for viewers online in different hours."""

    def __init__(self, hours: int, hour: np.ndarray, creator: np.ndarray, weight: np.ndarray) -> None:
        # ``hour`` and ``creator``: the live (hour, creator) pairs, by hour; ``weight`` each pair's.
        self.creator = creator
        start = hour.searchsorted(np.arange(hours + 1))
        cum = np.zeros(weight.size + 1)
        weight.cumsum(out=cum[1:])
        before = cum[start[:-1]]  # weight of the earlier hours' pairs
        self.total = cum[start[1:]] - before  # each hour's live weight
        self.anyone_live = self.total > 0
        # The last pair of each hour with weight: u close to 1 can round h + u up to h + 1.
        # (An hour without weight is never drawn from: anyone_live is False there.)
        self.last = np.maximum(start[1:] - 1, 0)
        if not weight.all():  # some pairs weigh nothing: step back to a weighted one
            self.last = np.maximum.accumulate(np.where(weight > 0, np.arange(weight.size), 0))[self.last]
        # Each hour's cumulative weights scaled to (0, 1] and shifted by the hour, so one sorted
        # table serves every hour: hour h's draw u lands among hour h's pairs at h + u.
        self.table = hour + (cum[1:] - before[hour]) / np.where(self.anyone_live, self.total, 1.0)[hour]

    def pick(self, u: np.ndarray, hour: np.ndarray) -> np.ndarray:
        if self.creator.size == 0:
            return np.full(u.size, -1, np.int64)
        pair = np.minimum(self.table.searchsorted(hour + u, side="right"), self.last[hour])
        return np.where(self.anyone_live[hour], self.creator[pair], -1)

    def pick_one(self, u: float, hour: int) -> int:
        if not self.anyone_live[hour]:
            return -1
        return int(self.creator[min(int(self.table.searchsorted(hour + u, side="right")), int(self.last[hour]))])


class StreamChoice:
    """Which live stream an online viewer watches: a creator drawn in proportion to its weight.

    A creator's weight is its audience plus any boost (bots watching it). The draw is made in two
    steps with one uniform each: whether the viewer follows the boost (chance: the hour's share
    of boost weight), then which creator, by audience or by boost. When a policy changes the
    boost (bots are actioned), only the viewers who follow it, or whose first draw falls between
    the two policies' boost shares, watch something else: the rest keep their stream, so runs
    under different policies stay paired.

    Built once for a set of hours (a day in the core, the current hour in the Mesa model), so
    that one call resolves the choices of viewers online in different hours.

    Parameters
    ----------
    live_by_hour
        ``[hours, creators]`` mask of who is live in each hour.
    audience
        Audience weight of every creator (indexed by creator id).
    boost
        Extra weight of every creator, or ``None`` for none.
    """

    def __init__(self, live_by_hour: np.ndarray, audience: np.ndarray, boost: np.ndarray | None = None) -> None:
        hours = live_by_hour.shape[0]
        hour, creator = live_by_hour.nonzero()  # the live (hour, creator) pairs, by hour
        self.by_audience = _HourlyDraw(hours, hour, creator, audience[creator])
        self.by_boost = None
        if boost is not None:
            boosted = boost[creator] > 0  # pairs without a boost can never be drawn by it
            if boosted.any():
                self.by_boost = _HourlyDraw(hours, hour[boosted], creator[boosted], boost[creator[boosted]])
        if self.by_boost is not None:
            total = self.by_audience.total + self.by_boost.total
            self.boost_share = self.by_boost.total / np.where(total > 0, total, 1.0)

    def pick(self, u_boost: np.ndarray, u: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """Creator watched by each viewer online in ``hour`` (``-1``: nobody live).

        ``u_boost`` and ``u`` are two independent uniform draws per viewer.
        """
        if self.by_boost is None:
            return self.by_audience.pick(u, hour)
        follows = u_boost < self.boost_share[hour]
        choice = self.by_audience.pick(u, hour)
        choice[follows] = self.by_boost.pick(u[follows], hour[follows])
        return choice

    def pick_one(self, u_boost: float, u: float, hour: int) -> int:
        """:meth:`pick` for one viewer (the Mesa model's agents choose one at a time)."""
        follows = self.by_boost is not None and u_boost < self.boost_share[hour]
        return (self.by_boost if follows else self.by_audience).pick_one(u, hour)


def gift_target(u_loyal: np.ndarray, loyalty: float, favourites: np.ndarray, favourite_live: np.ndarray,
                browsing: np.ndarray) -> np.ndarray:
    """Creator a gifter gifts to this hour: a live favourite (with chance ``loyalty``) or the stream browsed.

    ``favourites`` is ``[gifters, k]`` creator ids and ``favourite_live`` whether each is live in
    the gifter's hour.
    """
    rows = np.arange(favourites.shape[0])
    first_live = favourite_live.argmax(axis=1)  # the first live favourite (0 when none is)
    has_fav = favourite_live[rows, first_live]
    return np.where((u_loyal < loyalty) & has_fav, favourites[rows, first_live], browsing)


def gift_rate(params: Params, spend_rate: np.ndarray, gift_value: np.ndarray,
              target_role: np.ndarray) -> np.ndarray:
    """Expected gifts this hour (Poisson rate): spend per online hour / gift value, more on violating streams."""
    rate = spend_rate / gift_value
    return rate * np.where(target_role == C_VIOLATING, params.actors.violating.gift_multiplier, 1.0)


def gift_amount(rng: np.random.Generator, rate: np.ndarray, gift_value: np.ndarray,
                target: np.ndarray) -> np.ndarray:
    """Value a gifter intends to send this hour: Poisson(rate) gifts of ``gift_value`` each.

    Gifters with no stream to gift to (``target < 0``) send nothing; one Poisson draw is made for
    every gifter either way.
    """
    return rng.poisson(np.where(target >= 0, rate, 0.0)) * gift_value


def coins_to_buy(amount: np.ndarray, balance: np.ndarray, pack_value: float,
                 senders: Groups | None = None) -> np.ndarray:
    """Value of coins bought (whole packs) so that the balance covers each gift in turn.

    ``balance`` is each sender's balance before the first of its rows. With ``senders`` (the
    rows grouped by sender) given, rows are gifts in time order and one sender's may repeat: its
    leftover coins carry to its next gift, so the packs bought through a row are those its
    running total needs.
    """
    before, through = senders.running_sums(amount) if senders is not None else (0.0, amount)
    packs_through = _packs_needed(through - balance, pack_value)
    packs_before = _packs_needed(before - balance, pack_value)
    return (packs_through - packs_before) * pack_value


def _packs_needed(short: np.ndarray, pack_value: float) -> np.ndarray:
    return np.ceil(np.maximum(short, 0.0) / pack_value - 1e-12)
