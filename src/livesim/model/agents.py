"""Agents of the Mesa model: a :class:`CreatorAgent` per creator, a :class:`ViewerAgent` per viewer.

An agent carries who it is (its row in the population arrays and its role) and what it does in
one tick. Its money and enforcement state live in the shared :class:`~livesim.platform.Platform`
and :class:`~livesim.policy.Enforcement` arrays, and the agent exposes its slice of them as
read-only properties (``coins``, ``earnings``, ``balance``, ``status``), so that both engines keep
one set of books and every gift goes through the same gate, split and ledger.

Behaviour comes from the shared rules: :class:`~livesim.economy.StreamChoice` (through the model),
:func:`~livesim.economy.gift_target`, :func:`~livesim.economy.gift_rate` for organic viewers, and
:meth:`~livesim.adversaries.Adversaries.intents` for bad actors. Agents draw their random numbers
from the model's generator for the hour (``model.tick_rng``), not from ``model.rng``, so that two
runs with the same seed and different policies see the same draws (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from livesim.economy import gift_amount, gift_rate, gift_target
from livesim.policy import OK, RESTRICTED, SUSPENDED, GiftBatch
from livesim.world import CREATOR_ROLES, V_BENIGN, VIEWER_ROLES, is_live, live_schedule

if TYPE_CHECKING:
    from livesim.model.model import LivesimModel

__all__ = ["STATUS_NAMES", "CreatorAgent", "ViewerAgent"]

#: Enforcement status codes (``livesim.policy``) as the names agent reporters show.
STATUS_NAMES = {OK: "ok", RESTRICTED: "restricted", SUSPENDED: "suspended"}


class CreatorAgent(mesa.Agent):
    """A creator: goes live on its own daily schedule and receives gifts while live.

    Parameters
    ----------
    model
        The model the agent belongs to.
    index
        The creator's row in ``model.world.creators``.

    Attributes
    ----------
    kind : str
        ``"creator"`` (the agent-data column that tells creators from viewers).
    index : int
        Row in the creator arrays (creator id).
    account : int
        Id in the shared account space of :class:`~livesim.policy.Enforcement` (viewers first).
    role : str
        ``"benign"``, ``"ring_creator"``, ``"fraud_accomplice"``, ``"violating"`` or
        ``"bot_boosted"``.
    live : bool
        Whether the creator is live in the current hour.
    live_from : int
        Hour of the day the creator goes live today (``-1``: not live today).
    """

    model: LivesimModel

    kind = "creator"

    def __init__(self, model: LivesimModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)
        self.account = model.world.viewers.n + self.index
        self.role = CREATOR_ROLES[int(model.world.creators.role[self.index])]
        self.live = False
        self.live_from = -1

    # ------------------------------------------------------------------ behaviour
    def plan_day(self, rng: np.random.Generator) -> None:
        """Decide whether to go live today and from which hour (the daily part of "go live").

        Parameters
        ----------
        rng
            The day's schedule generator (shared by all creators, drawn in creator order).
        """
        i = self.index
        self.live_from = int(live_schedule(rng, self.model.world.creators.live_prob[i:i + 1])[0])

    def step(self) -> None:
        """Go live (or stay offline) for the current hour; publish it in the model's live mask."""
        # Actioned creators stay on the schedule (their gifts are blocked by the policy), so
        # who watches what does not shift with the policy, as in the core.
        self.live = bool(is_live(np.array(self.live_from), self.model.hour_of_day,
                                 self.model.params.population.live_hours))
        self.model.live[self.index] = self.live

    def go_offline(self) -> None:
        """End any live session (used when the active days are over)."""
        self.live = False
        self.model.live[self.index] = False

    # ------------------------------------------------------------------ state (shared arrays)
    @property
    def coins(self) -> float:
        """Coins held (currency): creators hold none, they earn (see :attr:`earnings`)."""
        return 0.0

    @property
    def earnings(self) -> float:
        """Creator's share of every gift received so far (currency, before payouts)."""
        return float(self.model.platform.credited[self.index])

    @property
    def balance(self) -> float:
        """Earnings not yet paid out: today's, held and cleared (currency)."""
        plat = self.model.platform
        i = self.index
        return float(plat.today_credit[i] + plat.pending[:, i].sum() + plat.cleared[i])

    @property
    def status(self) -> str:
        """Enforcement status: ``"ok"``, ``"restricted"`` or ``"suspended"``."""
        return STATUS_NAMES[int(self.model.platform.enf.status[self.account])]

    @property
    def frozen(self) -> bool:
        """Whether the creator's payouts are frozen (actioned, or in review with hold-on-review)."""
        return bool(self.model.platform.enf.frozen_creators()[self.index])


class ViewerAgent(mesa.Agent):
    """A viewer: comes online, watches a live stream, and (if a gifter or bad actor) sends gifts.

    Organic (benign) viewers act through :meth:`step` in the hours they are online. Bad actors
    (ring funders, card fraudsters, bots) act through :meth:`act` on the intent the shared
    adversary rules formed for them this hour.

    Parameters
    ----------
    model
        The model the agent belongs to.
    index
        The viewer's row in ``model.world.viewers``.

    Attributes
    ----------
    kind : str
        ``"viewer"`` (the agent-data column that tells viewers from creators).
    index : int
        Row in the viewer arrays (viewer id); also its id in the shared account space.
    role : str
        ``"benign"``, ``"ring_funder"``, ``"card_fraudster"`` or ``"bot"``.
    is_minor : bool
        Whether the viewer is under age.
    slot : int
        Row in the gifter arrays (``spend_rate``, ``gift_value``, ``favourites``); ``-1`` for
        viewers who never gift.
    online : bool
        Whether the viewer is online in the current hour.
    watching : int
        Creator id of the stream watched this hour (``-1``: none).
    sent : float
        Value of gifts the policy let through this hour (currency).
    intent : tuple or None
        A bad actor's ``(creator, value, stolen)`` for this hour, set by the model before
        :meth:`act`.
    """

    model: LivesimModel

    kind = "viewer"

    def __init__(self, model: LivesimModel, index: int) -> None:
        super().__init__(model)
        v = model.world.viewers
        self.index = int(index)
        self.account = self.index
        self.role = VIEWER_ROLES[int(v.role[self.index])]
        self.organic = bool(v.role[self.index] == V_BENIGN)
        self.is_minor = bool(v.is_minor[self.index])
        self.slot = int(model.gifter_slot[self.index])
        self.online = False
        self.watching = -1
        self.sent = 0.0
        self.intent: tuple[int, float, bool] | None = None

    # ------------------------------------------------------------------ behaviour
    def step(self) -> None:
        """One online hour: join a live stream by audience weight; a gifter then sends gifts."""
        m = self.model
        rng = m.tick_rng
        self.sent = 0.0
        self.watching = m.choose_stream(rng.random(), rng.random())
        if self.slot < 0:
            return
        p, v, s = m.params, m.world.viewers, self.slot
        favourites = v.favourites[s:s + 1]
        target = int(gift_target(np.array([rng.random()]), p.population.loyalty, favourites,
                                 m.live[favourites], np.array([self.watching]))[0])
        if target < 0:
            return
        rate = gift_rate(p, v.spend_rate[s:s + 1], v.gift_value[s:s + 1],
                         m.world.creators.role[target:target + 1])
        value = float(gift_amount(rng, rate, v.gift_value[s:s + 1], np.array([target]))[0])
        if value > 0:
            self.gift(target, value)

    def act(self) -> None:
        """A bad actor's hour: send the intent the shared adversary rules formed for it."""
        self.sent = 0.0
        if self.intent is None:
            return
        creator, value, stolen = self.intent
        self.intent = None
        self.gift(creator, value, stolen)

    def gift(self, creator: int, value: float, stolen: bool = False) -> float:
        """Try to gift ``value`` (currency) to ``creator``; return what the policy let through.

        The intent is settled by :meth:`livesim.platform.Platform.settle` as a batch of one: the
        policy gates it, coins are bought (with a stolen card when ``stolen``), the gift is split
        between platform and creator, and the ledger records it.
        """
        batch = GiftBatch(np.array([self.index]), np.array([int(creator)]), np.array([float(value)]),
                          np.array([bool(stolen)]), np.array([self.model.hour_of_day]))
        sent = float(self.model.platform.settle(batch, self.model.day)[0])
        self.sent += sent
        return sent

    def leave(self) -> None:
        """Go offline at the end of the hour."""
        self.online = False
        self.watching = -1

    # ------------------------------------------------------------------ state (shared arrays)
    @property
    def is_gifter(self) -> bool:
        """Whether the viewer ever gifts of its own accord (benign gifters and minors)."""
        return self.slot >= 0

    @property
    def active(self) -> bool:
        """False for a bad actor's dormant reserve account (or one it abandoned)."""
        return bool(self.model.world.viewers.active[self.index])

    @property
    def coins(self) -> float:
        """Unspent coin balance (currency)."""
        return self.model.platform.coin_balance(self.index)

    @property
    def earnings(self) -> float:
        """Viewers earn nothing (creators do); kept so that agent reporters cover every agent."""
        return 0.0

    @property
    def balance(self) -> float:
        """What the platform holds for the viewer: its unspent coins (currency)."""
        return self.coins

    @property
    def status(self) -> str:
        """Enforcement status: ``"ok"``, ``"restricted"`` or ``"suspended"``."""
        return STATUS_NAMES[int(self.model.platform.enf.status[self.account])]
