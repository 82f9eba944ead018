"""Behaviour rules of organic viewers: which stream they watch, whom they gift, how much.

Pure functions on arrays of any length (one agent is an array of one), shared by both engines.
"""

from __future__ import annotations

import numpy as np

from livesim.params import Params
from livesim.world import C_VIOLATING

__all__ = ["coins_to_buy", "gift_amount", "gift_rate", "gift_target", "watch_choice"]


def watch_choice(u: np.ndarray, live_ids: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Stream each online viewer watches: a live creator drawn in proportion to audience weight.

    Parameters
    ----------
    u
        One uniform draw per viewer.
    live_ids
        Creators live this hour.
    weight
        Audience weight of *every* creator (indexed by creator id).

    Returns
    -------
    Creator ids (``-1`` for everyone when nobody is live).
    """
    if live_ids.size == 0:
        return np.full(u.size, -1, np.int64)
    cum = np.cumsum(weight[live_ids])
    pick = np.searchsorted(cum, u * cum[-1], side="right").clip(max=live_ids.size - 1)
    return live_ids[pick]


def gift_target(u_loyal: np.ndarray, loyalty: float, favourites: np.ndarray, live: np.ndarray,
                browsing: np.ndarray) -> np.ndarray:
    """Creator a gifter gifts to this hour: a live favourite (with chance ``loyalty``) or the stream browsed.

    ``favourites`` is ``[gifters, k]`` creator ids; ``live`` a mask over all creators.
    """
    fav_live = live[favourites]
    has_fav = fav_live.any(axis=1)
    first_fav = favourites[np.arange(favourites.shape[0]), fav_live.argmax(axis=1)]
    return np.where((u_loyal < loyalty) & has_fav, first_fav, browsing)


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


def coins_to_buy(amount: np.ndarray, balance: np.ndarray, pack_value: float) -> np.ndarray:
    """Value of coins bought (whole packs) so that ``balance`` covers ``amount``."""
    need = np.maximum(amount - balance, 0.0)
    return np.ceil(need / pack_value - 1e-12) * pack_value
