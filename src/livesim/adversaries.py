"""Bad actors: what laundering rings, card fraudsters and bot farms try to do, and how they adapt.

Minors and violating creators need no behaviour of their own (they are benign-looking gifters
and creators with a role); the three typologies here act on their own schedule. Each day they
plan a :class:`~livesim.policy.GiftBatch` of intents, hour by hour, that goes through the same
gating as everyone's gifts. Each day, adaptive actors (``actors.adaptation``) respond to the policy in force:

* **structuring** — keep each account's daily gifts just under its cap and under the velocity rule;
* **spreading** — wake dormant reserve accounts when the structured budget leaves money unmoved;
* **replacement** — abandon an actioned account and wake a reserve one after a delay;
* **moving** — ring funders switch to a ring creator that is not actioned.

Naive actors (adaptation 0) keep going at full budget with the same accounts and creators.
"""

from __future__ import annotations

import numpy as np

from livesim.params import Params
from livesim.policy import OK, Enforcement, GiftBatch
from livesim.rng import Streams
from livesim.world import C_RING, NOT_BORN, RESERVED, V_BOT, V_FRAUD, V_RING, World

__all__ = ["Adversaries"]

_SAFETY = 0.95  # structurers stay this far under a limit they have learned


class Adversaries:
    """The state and behaviour of ring funders, card fraudsters and bots.

    Parameters
    ----------
    params
        Validated parameters (``actors`` and ``economy`` are read).
    world
        The population (roles, groups, reserve accounts).
    enforcement
        The policy state; read to adapt, never written here except through gifting.
    """

    def __init__(self, params: Params, world: World, enforcement: Enforcement) -> None:
        self.params = params
        self.act = params.actors
        self.world = world
        self.enf = enforcement
        v, c = world.viewers, world.creators
        self.nv = v.n
        self.actors = np.flatnonzero(v.role != 0)
        role = v.role[self.actors]
        self.is_ring = role == V_RING
        self.is_fraud = role == V_FRAUD
        self.is_bot = role == V_BOT
        self.moves_money = self.is_ring | self.is_fraud  # bots only watch, and send warm-up gifts
        self.ring_rows = self.actors[self.is_ring]
        # Ring membership: creators of each ring, padded with -1.
        n_rings = world.n_rings
        per = self.act.ring.creators_per_ring
        self.ring_creators = np.full((max(n_rings, 1), per), -1, np.int64)
        members = np.flatnonzero(c.role == C_RING)
        ring_of = c.group[members]
        order = np.argsort(ring_of, kind="stable")
        members, ring_of = members[order], ring_of[order]
        slot = np.arange(members.size) - np.searchsorted(ring_of, ring_of)  # position within its ring
        keep = slot < per
        self.ring_creators[ring_of[keep], slot[keep]] = members[keep]
        self.ring_size = (self.ring_creators >= 0).sum(axis=1)
        # A ring or fraud cell moves a fixed amount a day, shared by its active accounts: spreading
        # over more accounts moves the same money in smaller pieces, it does not create money.
        group_key = self._group_keys()
        per_account = np.where(self.is_ring, self.act.ring.daily_budget, self.act.card_fraud.daily_budget)
        money = self.moves_money & v.active[self.actors]
        self.groups = np.unique(group_key[money])
        self.group_total = np.bincount(np.searchsorted(self.groups, group_key[money]),
                                       weights=per_account[money], minlength=self.groups.size)
        self._index_groups()
        self.target = np.full(self.actors.size, -1, np.int64)
        fixed = ~self.is_ring
        self.target[fixed] = v.group[self.actors[fixed]]
        self.budget = np.zeros(self.actors.size)
        self.replace_due: dict[int, list[np.ndarray]] = {}
        self.activations = 0
        self.bots = self.actors[self.is_bot]

    # ----------------------------------------------------------------------------- daily
    def start_day(self, day: int, streams: Streams) -> None:
        """Choose today's targets and budgets (structured for adaptive actors); wake due reserves.

        Layered rings draw today's route from the ``adversaries`` stream of the day (only they
        draw, so the stream is only made for them).
        """
        v = self.world.viewers
        for rows in self.replace_due.pop(day, []):
            self._wake(rows, day)
        a = self.actors
        if self.ring_rows.size:
            self._route_rings(day, streams)
        active = v.active[a]
        adaptive = v.adaptive[a]
        budget = np.full(a.size, 10 * self.params.economy.coin_price)  # a bot's warm-up gifts
        money = self.moves_money
        if self.groups.size and money.any():
            gi, known = self.money_group, self.money_group_known
            n_active = np.bincount(gi[active[money] & known], minlength=self.groups.size)
            budget[money] = np.where(known, self.group_total[gi] / np.maximum(n_active[gi], 1), 0.0)
        # Adaptive actors structure below the limits in force: caps, and the velocity rule when
        # a detector is used at all (with no threshold there is nothing to evade).
        limit = self.enf.sender_cap(a, day)
        pol, det = self.params.policy, self.params.detection
        if pol.risk_threshold is not None or pol.review_threshold is not None:
            limit = np.minimum(limit, det.velocity_multiple * self.enf.usual_value[a] + det.velocity_floor)
        structuring = adaptive & money
        structured = np.where(structuring, np.minimum(budget, _SAFETY * limit), budget)
        self.budget = np.where(active, structured, 0.0)
        self._spread(day, budget - structured, active & structuring)

    def _route_rings(self, day: int, streams: Streams) -> None:
        """Today's ring creator of every funder: its pattern's pick, or for adaptive funders one not actioned."""
        v = self.world.viewers
        rings = v.group[self.ring_rows]
        members = self.ring_creators[rings]
        pattern = self.act.ring.pattern
        if pattern == "fan_in":
            pick = 0
        elif pattern == "fan_out":
            pick = (np.arange(rings.size) + day) % np.maximum(self.ring_size[rings], 1)
        else:  # layered: a fresh random route each day
            pick = streams.get("adversaries", day, reuse=True).integers(0, np.maximum(self.ring_size[rings], 1))
        each = np.arange(rings.size)
        chosen = members[each, pick]
        # Adaptive funders move to a ring creator that is not actioned.
        ok = (self.enf.status[np.maximum(members, 0) + self.nv] == OK) & (members >= 0)
        first_ok = ok.argmax(axis=1)
        moved_to = np.where(ok[each, first_ok], members[each, first_ok], chosen)
        self.target[self.is_ring] = np.where(v.adaptive[self.ring_rows] & ~ok[each, pick], moved_to, chosen)

    def _group_keys(self) -> np.ndarray:
        """One key per actor for its ring or fraud cell (role and group); bots get -1."""
        v = self.world.viewers
        role = v.role[self.actors].astype(np.int64)
        return np.where(self.is_bot, -1, role * (self.world.creators.n + 1) + v.group[self.actors])

    def _index_groups(self) -> None:
        """Work out every actor's group key and, for money movers, its budget group (by ``groups``).

        Kept until an account changes group (:meth:`_regroup`), not redone every day.
        """
        self.group_key = self._group_keys()
        key = self.group_key[self.moves_money]
        self.money_group = np.minimum(self.groups.searchsorted(key), max(self.groups.size - 1, 0))
        # A money mover whose group had no active account at the start has no budget to share.
        known = self.groups[self.money_group] == key if self.groups.size else np.zeros(key.size, bool)
        self.money_group_known = known

    def _regroup(self, rows: np.ndarray, groups: np.ndarray | int) -> None:
        """Move the accounts ``rows`` to ``groups``, keeping the group keys in step.

        A group is a ring id for ring funders, the creator worked for by fraudsters and bots.
        """
        self.world.viewers.group[rows] = groups
        self._index_groups()

    def _spread(self, day: int, unmoved: np.ndarray, eligible: np.ndarray) -> None:
        """Adaptive rings and fraud cells wake reserve accounts for money they could not move."""
        v = self.world.viewers
        wanting = eligible & (unmoved > 0)  # eligible: adaptive ring funders and fraudsters
        if not wanting.any():
            return
        # One more account per group and day: spreading is gradual, as opening accounts is.
        # Usually every ring and cell wanting one has a spare of its own: wake those at once.
        keys = np.unique(self.group_key[wanting])
        spare = self._spare_mask(self.moves_money).nonzero()[0]
        by_key = spare[self.group_key[spare].argsort(kind="stable")]  # a group's spares stay in actor order
        spare_keys = self.group_key[by_key]
        own = np.minimum(spare_keys.searchsorted(keys), max(spare.size - 1, 0))
        if spare.size and (spare_keys[own] == keys).all():
            self._wake(self.actors[by_key[own]], day)
            return
        # Otherwise group by group, in group order: a group without spares borrows one, which
        # changes what the next can have.
        for role_mask in (self.is_ring, self.is_fraud):
            for g in np.unique(v.group[self.actors[role_mask & wanting]]).tolist():
                self._wake_one_spare(role_mask, g, day)

    def _spare_mask(self, role_mask: np.ndarray) -> np.ndarray:
        """Which actors are reserve accounts of the role never woken nor promised to a replacement."""
        return role_mask & (self.world.viewers.born_day[self.actors] == NOT_BORN)

    def _spares(self, role_mask: np.ndarray) -> np.ndarray:
        """The viewer ids of :meth:`_spare_mask`, in actor order."""
        return self.actors[self._spare_mask(role_mask)]

    def _wake_one_spare(self, role_mask: np.ndarray, group: int, day: int) -> None:
        """Wake the group's first spare account, or else another group's first spare for it."""
        v = self.world.viewers
        spare = self._spares(role_mask)
        own = spare[v.group[spare] == group]
        woken = (own if own.size else spare)[:1]
        if woken.size:
            self._regroup(woken, group)
            self._wake(woken, day)

    def _wake(self, rows: np.ndarray, day: int) -> None:
        v = self.world.viewers
        v.active[rows] = True
        v.adaptive[rows] = True
        v.born_day[rows] = day
        self.enf.born_day[rows] = day
        self.enf.make_adaptive(rows)
        self.activations += int(rows.size)
        idx = self.actors.searchsorted(rows)
        fixed = ~self.is_ring[idx]
        self.target[idx[fixed]] = v.group[rows[fixed]]

    def end_day(self, day: int) -> None:
        """Adaptive actors abandon actioned accounts and schedule replacements."""
        v = self.world.viewers
        a = self.actors
        gone = v.active[a] & v.adaptive[a] & (self.enf.status[a] != OK)
        if not gone.any():
            return
        v.active[a[gone]] = False
        due = day + 1 + self.act.replacement_delay_days
        for role_mask in (self.is_ring, self.is_fraud, self.is_bot):
            lost = a[gone & role_mask]
            chosen = self._spares(role_mask)[:lost.size]
            if chosen.size:
                self._regroup(chosen, v.group[lost[:chosen.size]])
                v.born_day[chosen] = RESERVED  # promised to a replacement: spreading must not wake it
                self.replace_due.setdefault(due, []).append(chosen)

    # ------------------------------------------------------------------------------ tick
    def intents(self, live_from: np.ndarray) -> GiftBatch:
        """Today's gift intents, in hour order, given the hour each creator goes live (``-1``: not today).

        Funders and fraudsters gift an equal part of the day's budget in every hour their
        creator is live; a bot sends its warm-up gift in the first such hour.
        """
        v = self.world.viewers
        a = self.actors
        tgt = self.target
        hours = self.params.population.live_hours
        start = live_from[np.maximum(tgt, 0)]
        on = v.active[a] & (tgt >= 0) & (self.budget > 0) & (start >= 0)
        rows = on.nonzero()[0]
        start = start[rows]
        n_hours = np.where(self.is_bot[rows], 1, np.minimum(start + hours, 24) - start)
        rows = rows.repeat(n_hours)
        first = (n_hours.cumsum() - n_hours).repeat(n_hours)
        hour = start.repeat(n_hours) + (np.arange(rows.size) - first)
        per_hour = np.where(self.is_bot, self.budget, self.budget / hours)
        order = hour.argsort(kind="stable")
        rows, hour = rows[order], hour[order]
        return GiftBatch(a[rows], tgt[rows], per_hour[rows], self.is_fraud[rows], hour.astype(np.intp))

    def audience_boost(self) -> np.ndarray:
        """Active, unactioned bots watching each creator (boosts its audience weight)."""
        v = self.world.viewers
        bots = self.bots
        live = bots[v.active[bots] & (self.enf.status[bots] == OK) & (v.group[bots] >= 0)]
        return np.bincount(v.group[live], minlength=self.world.creators.n)
