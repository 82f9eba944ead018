"""The vectorized engine: every phase of an hourly tick as array operations, no loop over agents.

A tick (one hour) runs: creators go live → online viewers pick a stream by audience → gifters
form gift intents → bad actors form theirs → the policy gates every intent (caps, age gate,
eligibility, actions) → coins are bought and gifts split between platform and creator → the
ledger is reconciled. At the end of a day: scoring and automated actions, human review, appeals,
adversaries adapt, chargebacks land, cleared earnings are paid out. After the last active day a
run-off of days with no new activity lets holds clear and late chargebacks land, so harm that a
policy only delays is still counted.

Only viewers online in the hour are touched in a tick; the day's sessions are drawn once a day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from livesim.adversaries import Adversaries
from livesim.ledger import Ledger
from livesim.metrics import Tally, agent_steps, summarize
from livesim.params import Params
from livesim.policy import Enforcement, GiftBatch
from livesim.rng import Streams
from livesim.world import (
    C_BENIGN, C_BOOSTED, C_VIOLATING, V_BENIGN, V_RING, World, build_world, hour_weights,
    sessions_for_day,
)

__all__ = ["CoreEngine", "RunResult", "run_core"]


@dataclass
class RunResult:
    """What an engine returns: the flat metrics and the daily time series."""

    metrics: dict[str, float | None]
    daily: list[dict[str, float]]


def runoff_days(params: Params) -> int:
    """Days simulated after the active window so that holds clear and chargebacks land."""
    late = params.actors.card_fraud.chargeback_delay_max_days if params.actors.card_fraud.fraudster_share > 0 else 0
    return max(params.policy.payout_hold_days, late) + 1


class CoreEngine:
    """Steps one run of the model with numpy arrays.

    Parameters
    ----------
    params
        Validated parameters; ``params.seed`` drives every random stream.
    """

    def __init__(self, params: Params) -> None:
        self.params = params
        self.streams = Streams(params.seed)
        self.world: World = build_world(params, self.streams)
        self.enf = Enforcement(params, self.world)
        self.adv = Adversaries(params, self.world, self.enf)
        self.ledger = Ledger()
        self.tally = Tally()
        v, c = self.world.viewers, self.world.creators
        self.coins = np.zeros(v.n)
        self.gifter_slot = np.full(v.n, -1, np.int64)
        self.gifter_slot[v.gifter_ids] = np.arange(v.gifter_ids.size)
        self.organic = np.flatnonzero(v.role == V_BENIGN)
        hold = params.policy.payout_hold_days
        self.pending = np.zeros((hold + 1, c.n))   # earnings by the day they clear (ring buffer)
        self.pending_total = 0.0
        self.today_credit = np.zeros(c.n)
        self.cleared = np.zeros(c.n)
        self.credited = np.zeros(c.n)
        self.ring_credited = np.zeros(c.n)
        self.stolen_today: list[tuple[np.ndarray, np.ndarray]] = []
        self.chargebacks_due: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.pack_value = params.economy.coin_pack * params.economy.coin_price

    # ------------------------------------------------------------------------- the run
    def run(self) -> RunResult:
        """Simulate ``days`` of activity plus the run-off; return metrics and the daily series."""
        p = self.params
        start = time.perf_counter()
        for day in range(p.days):
            self._active_day(day)
        for day in range(p.days, p.days + runoff_days(p)):
            self._end_of_day(day, runoff=True)
        seconds = time.perf_counter() - start
        c_frozen = self.enf.frozen_creators() & (self.world.creators.role == C_BENIGN)
        frozen_benign = float(self.cleared[c_frozen].sum() + self.pending[:, c_frozen].sum())
        metrics = summarize(
            self.tally, self.enf, frozen_benign, self.adv.activations,
            self.ledger.max_imbalance, seconds, agent_steps(self.world.agents, 24 * p.days),
        )
        return RunResult(metrics=metrics, daily=self.tally.daily)

    def _active_day(self, day: int) -> None:
        p, c = self.params, self.world.creators
        sched = self.streams.get("schedule", day)
        ids, offsets = sessions_for_day(sched, self.world.viewers.p_online, self.organic,
                                        p.population.session_hours)
        live_today = sched.random(c.n) < c.live_prob
        live_from = sched.choice(24, size=c.n, p=hour_weights())
        self.adv.start_day(day, self.streams.get("adversaries", day))
        weight = c.audience * (1.0 + p.actors.bots.audience_boost_per_bot * self.adv.audience_boost())
        for hour in range(24):
            # Actioned creators stay on the schedule (their gifts are blocked), so that who
            # watches what does not shift with the policy: paired runs stay paired.
            live = live_today & (live_from <= hour) & (hour < live_from + p.population.live_hours)
            online = ids[offsets[hour]:offsets[hour + 1]]
            rng = self.streams.get("tick", day * 24 + hour)
            batch = self._organic_intents(online, live, weight, rng)
            self._settle(GiftBatch.concat([batch, self.adv.intents(live)]), day)
            self.tally.viewers_online += online.size
            self._reconcile()
        self._end_of_day(day, runoff=False)

    # -------------------------------------------------------------------- tick phases
    def _organic_intents(self, online: np.ndarray, live: np.ndarray, weight: np.ndarray,
                         rng: np.random.Generator) -> GiftBatch:
        p, v, c = self.params, self.world.viewers, self.world.creators
        u_watch = rng.random(online.size)
        live_ids = np.flatnonzero(live)
        if live_ids.size:
            cum = np.cumsum(weight[live_ids])
            pick = np.searchsorted(cum, u_watch * cum[-1], side="right").clip(max=live_ids.size - 1)
            watching = live_ids[pick]
        else:
            watching = np.full(online.size, -1)
        slot = self.gifter_slot[online]
        is_gifter = slot >= 0
        gifters, slot, watching = online[is_gifter], slot[is_gifter], watching[is_gifter]
        u_loyal = rng.random(gifters.size)
        fav = v.favourites[slot]
        fav_live = live[fav]
        has_fav = fav_live.any(axis=1)
        first_fav = fav[np.arange(slot.size), fav_live.argmax(axis=1)]
        target = np.where((u_loyal < p.population.loyalty) & has_fav, first_fav, watching)
        rate = v.spend_rate[slot] / v.gift_value[slot]
        rate = rate * np.where(c.role[target.clip(0)] == C_VIOLATING, p.actors.violating.gift_multiplier, 1.0)
        rate[target < 0] = 0.0
        count = rng.poisson(rate)
        intent = count * v.gift_value[slot]
        keep = intent > 0
        return GiftBatch(gifters[keep], target[keep], intent[keep])

    def _settle(self, batch: GiftBatch, day: int) -> None:
        if batch.viewer.size == 0:
            return
        p, v, c = self.params, self.world.viewers, self.world.creators
        amount = self.enf.allowed(batch, day)
        sender, creator = batch.viewer, batch.creator
        benign_pair = (v.role[sender] == V_BENIGN) & ~v.is_minor[sender] & (c.role[creator] == C_BENIGN)
        self.tally.legit_blocked += float((batch.intent - amount)[benign_pair].sum())
        sent = amount > 0
        sender, creator, amount, stolen = sender[sent], creator[sent], amount[sent], batch.stolen[sent]
        if amount.size == 0:
            return
        # Coins are bought in whole packs when the balance does not cover the gift.
        need = np.maximum(amount - self.coins[sender], 0.0)
        bought = np.ceil(need / self.pack_value - 1e-12) * self.pack_value
        self.coins[sender] += bought - amount
        total = float(amount.sum())
        share = p.economy.platform_share
        self.ledger.purchase(float(bought.sum()))
        self.ledger.gift(total, share * total)
        if stolen.any():
            self.stolen_today.append((sender[stolen], bought[stolen]))
        credit = (1.0 - share) * amount
        by_creator = np.bincount(creator, weights=credit, minlength=c.n)
        self.today_credit += by_creator
        self.credited += by_creator
        ring = v.role[sender] == V_RING
        if ring.any():
            self.ring_credited += np.bincount(creator[ring], weights=credit[ring], minlength=c.n)
        t = self.tally
        t.gross += total
        t.platform_share += share * total
        t.creator_share += float(credit.sum())
        t.minor_spend += float(amount[v.is_minor[sender]].sum())
        t.violating_gifts += float(amount[c.role[creator] == C_VIOLATING].sum())
        t.bot_diverted += float(amount[(c.role[creator] == C_BOOSTED) & (v.role[sender] == V_BENIGN)].sum())
        self.enf.record_sent(sender, creator, amount)

    def _reconcile(self) -> float:
        owed = self.pending_total + float(self.cleared.sum()) + float(self.today_credit.sum())
        return self.ledger.check(float(self.coins.sum()), owed)

    # ------------------------------------------------------------------ end of day
    def _end_of_day(self, day: int, runoff: bool) -> None:
        enf = self.enf
        if not runoff:
            noise = self.streams.get("detection", day).standard_normal(enf.n, dtype=np.float32)
            ids, risk = enf.score_day(day, noise)
            enf.act(day, ids, risk)
            self._schedule_chargebacks(day)
        enf.review(day, self.streams.get("review", day))
        enf.appeals(day, self.streams.get("appeals", day))
        if not runoff:
            self.adv.end_day(day)
        self._land_chargebacks(day)
        self._clear_and_pay(day)
        enf.end_day()
        gap = self._reconcile()
        self.tally.close_day(day, enf, gap, runoff)

    def _clear_and_pay(self, day: int) -> None:
        hold = self.params.policy.payout_hold_days
        self.pending[day % (hold + 1)] += self.today_credit
        self.today_credit[:] = 0.0
        due = (day - hold) % (hold + 1)
        self.cleared += self.pending[due]
        self.pending[due] = 0.0
        self.pending_total = float(self.pending.sum())
        payable = ~self.enf.frozen_creators() & (self.cleared >= self.params.economy.min_payout)
        paid = self.cleared[payable]
        if paid.size:
            dirty = self.ring_credited[payable] / np.maximum(self.credited[payable], 1e-300)
            self.tally.laundered += float((paid * dirty).sum())
            total = float(paid.sum())
            self.tally.payouts += total
            self.ledger.payout(total)
            self.cleared[payable] = 0.0

    def _schedule_chargebacks(self, day: int) -> None:
        if not self.stolen_today:
            return
        cf = self.params.actors.card_fraud
        who = np.concatenate([s[0] for s in self.stolen_today])
        amount = np.concatenate([s[1] for s in self.stolen_today])
        self.stolen_today = []
        who, inverse = np.unique(who, return_inverse=True)
        amount = np.bincount(inverse, weights=amount)
        rng = self.streams.get("chargebacks", day)
        disputed = rng.random(who.size) < cf.chargeback_rate
        delay = np.clip(np.round(rng.lognormal(np.log(cf.chargeback_delay_median_days), 0.5, who.size)),
                        1, cf.chargeback_delay_max_days).astype(int)
        for d in np.unique(delay[disputed]):
            sel = disputed & (delay == d)
            old_who, old_amt = self.chargebacks_due.get(day + d, (who[:0], amount[:0]))
            self.chargebacks_due[day + d] = (np.concatenate([old_who, who[sel]]),
                                             np.concatenate([old_amt, amount[sel]]))

    def _land_chargebacks(self, day: int) -> None:
        if day not in self.chargebacks_due:
            return
        who, amount = self.chargebacks_due.pop(day)
        who, inverse = np.unique(who, return_inverse=True)
        amount = np.bincount(inverse, weights=amount)
        from_coins = np.minimum(amount, self.coins[who])
        self.coins[who] -= from_coins
        rest = amount - from_coins
        accomplice = self.world.viewers.group[who]
        owed_by = np.bincount(accomplice, weights=rest, minlength=self.world.creators.n)
        cs = np.flatnonzero(owed_by > 0)
        from_cleared = np.minimum(owed_by[cs], self.cleared[cs])
        self.cleared[cs] -= from_cleared
        still = owed_by[cs] - from_cleared
        held = self.pending[:, cs].sum(axis=0)
        from_held = np.minimum(still, held)
        keep = np.where(held > 0, 1.0 - from_held / np.maximum(held, 1e-300), 1.0)
        self.pending[:, cs] *= keep
        self.pending_total = float(self.pending.sum())
        recovered = float(from_cleared.sum() + from_held.sum())
        refunded = float(amount.sum())
        self.ledger.chargeback(refunded, float(from_coins.sum()), recovered)
        self.tally.chargebacks += refunded
        self.tally.fraud_loss += refunded - float(from_coins.sum()) - recovered


def run_core(params: Params) -> RunResult:
    """Run one simulation on the vectorized engine."""
    return CoreEngine(params).run()
