"""The platform's side of every tick and day, shared by both engines.

:class:`Platform` owns the money (viewers' coins, creators' held and cleared earnings, the
ledger, the tallies) and the end-of-day processes (scoring and actions, review, appeals,
adversaries' adaptation, chargebacks, payouts). An engine decides who is online and what they
intend; everything after an intent is decided here, the same way for both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livesim import kernels
from livesim.adversaries import Adversaries
from livesim.economy import coins_to_buy
from livesim.grouped import Groups
from livesim.ledger import Ledger
from livesim.metrics import Tally, agent_steps, summarize
from livesim.params import Params
from livesim.policy import Enforcement, GiftBatch
from livesim.rng import Streams
from livesim.world import C_BENIGN, C_BOOSTED, C_VIOLATING, V_BENIGN, V_RING, World

__all__ = ["Platform", "RunResult", "runoff_days"]


@dataclass
class RunResult:
    """What an engine returns: the flat metrics and the daily time series."""

    metrics: dict[str, float | None]
    daily: list[dict[str, float]]


def runoff_days(params: Params) -> int:
    """Days simulated after the active window so that holds clear and chargebacks land."""
    cf = params.actors.card_fraud
    late = cf.chargeback_delay_max_days if cf.fraudster_share > 0 else 0
    return max(params.policy.payout_hold_days, late) + 1


class Platform:
    """Money, enforcement and bad actors for one run.

    Parameters
    ----------
    params
        Validated parameters.
    world
        The population (shared with the engine that steps it).
    streams
        The run's random streams (day-end processes draw from their own named streams).
    """

    def __init__(self, params: Params, world: World, streams: Streams) -> None:
        self.params = params
        self.world = world
        self.streams = streams
        self.enf = Enforcement(params, world)
        self.adv = Adversaries(params, world, self.enf)
        self.ledger = Ledger()
        self.tally = Tally()
        v, c = world.viewers, world.creators
        # Coin wallets exist for the accounts that can ever buy coins (gifters and bad actors);
        # others have none (their balance is 0), and indexing a missing wallet raises IndexError.
        holders = np.union1d(v.gifter_ids, np.flatnonzero(v.role != V_BENIGN))
        self.wallet = np.full(v.n, holders.size, np.int64)
        self.wallet[holders] = np.arange(holders.size)
        self.coins = np.zeros(holders.size)  # unspent coins by wallet (currency)
        hold = params.policy.payout_hold_days
        self.pending = np.zeros((hold + 1, c.n))   # earnings by the day they clear (ring buffer)
        self.pending_total = 0.0
        self.today_credit = np.zeros(c.n)
        self.cleared = np.zeros(c.n)
        self.credited = np.zeros(c.n)
        self.ring_credited = np.zeros(c.n)
        self.stolen_today: list[tuple[np.ndarray, np.ndarray]] = []
        # Chargebacks by the day they land: (accounts, amounts) of each day that scheduled some.
        self.chargebacks_due: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.pack_value = params.economy.coin_pack * params.economy.coin_price

    # ------------------------------------------------------------------ per tick
    def creator_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Every creator's audience weight today, and the extra weight of the bots watching it."""
        audience = self.world.creators.audience
        boost = self.params.actors.bots.audience_boost_per_bot * self.adv.audience_boost()
        return audience, audience * boost

    def settle(self, batch: GiftBatch, day: int, reconcile_each_hour: bool = False) -> np.ndarray:
        """Gate intents through the policy, buy coins, split gifts; return the value sent per intent.

        ``batch`` is in hour order and may span several hours. Every decision is made for the
        whole batch at once. With ``reconcile_each_hour`` (a whole day's batch) money then moves
        hour by hour and the ledger is reconciled with the balances after each of the day's 24
        hours; without, it moves at once and the caller reconciles.
        """
        p, v, c = self.params, self.world.viewers, self.world.creators
        senders = Groups(batch.viewer)
        _check_order(batch, senders)
        sender, creator = batch.viewer, batch.creator
        wallet = self.wallet[sender]
        balance = self.coins[wallet]  # before anything is recorded: a sender without a wallet is a bug
        allowed = self.enf.allowed(batch, day, senders) if len(batch) else batch.intent
        benign_pair = (v.role[sender] == V_BENIGN) & ~v.is_minor[sender] & (c.role[creator] == C_BENIGN)
        self.tally.legit_blocked += float((batch.intent - allowed)[benign_pair].sum())
        # Blocked rows buy nothing and carry nothing over, so coins are worked out on every row.
        bought = coins_to_buy(allowed, balance, self.pack_value, senders)
        sent = allowed > 0
        sender, creator, amount, bought = sender[sent], creator[sent], allowed[sent], bought[sent]
        stolen = batch.stolen[sent]
        share = p.economy.platform_share
        credit = (1.0 - share) * amount
        self._move_money(batch.hour[sent], wallet[sent], creator, amount, bought, credit, reconcile_each_hour)
        if amount.size == 0:
            return allowed
        if stolen.any():
            self.stolen_today.append((sender[stolen], bought[stolen]))
        by_creator = np.bincount(creator, weights=credit, minlength=c.n)
        self.credited += by_creator
        ring = v.role[sender] == V_RING
        if ring.any():
            self.ring_credited += np.bincount(creator[ring], weights=credit[ring], minlength=c.n)
        t = self.tally
        total = float(amount.sum())
        t.gross += total
        t.platform_share += share * total
        t.creator_share += float(credit.sum())
        t.minor_spend += float(amount[v.is_minor[sender]].sum())
        t.violating_gifts += float(amount[c.role[creator] == C_VIOLATING].sum())
        t.bot_diverted += float(amount[(c.role[creator] == C_BOOSTED) & (v.role[sender] == V_BENIGN)].sum())
        self.enf.record_sent(sender, creator, amount)
        return allowed

    def _move_money(self, hour: np.ndarray, wallet: np.ndarray, creator: np.ndarray, amount: np.ndarray,
                    bought: np.ndarray, credit: np.ndarray, reconcile_each_hour: bool) -> None:
        """Post the purchases and gifts, and update the wallet and creator balances they touch.

        With ``reconcile_each_hour`` (a day's batch) the money moves hour by hour and the ledger
        is reconciled with every balance as it stands after each of the day's 24 hours; without,
        the batch's money moves at once and the caller reconciles (the Mesa model settles one
        agent's intent at a time).
        """
        share = self.params.economy.platform_share
        if not reconcile_each_hour:
            np.add.at(self.coins, wallet, bought - amount)
            np.add.at(self.today_credit, creator, credit)
            self.ledger.purchase(float(bought.sum()))
            sent = float(amount.sum())
            self.ledger.gift(sent, share * sent)
            return
        coins_before = float(self.coins.sum())
        coins = _balances_by_hour(self.coins, wallet, hour, bought - amount, 24)
        credits = _balances_by_hour(self.today_credit, creator, hour, credit, 24)
        gifts = np.bincount(hour, weights=amount, minlength=24)
        after = self.ledger.post_hourly(Ledger.purchase_postings(np.bincount(hour, weights=bought, minlength=24))
                                        + Ledger.gift_postings(gifts, share * gifts))
        # Balances not touched today stand as they were: the sums are theirs plus the table's.
        coins_held = (coins_before - coins[0].sum()) + coins[1:].sum(axis=1)
        owed = (self.pending_total + float(self.cleared.sum()) + float(self.today_credit.sum())
                - credits[-1].sum()) + credits[1:].sum(axis=1)
        self.ledger.check(coins_held, owed, after)

    def coin_balance(self, viewer: int) -> float:
        """A viewer's unspent coins (currency; 0 for an account that can never buy coins)."""
        wallet = self.wallet[viewer]
        return float(self.coins[wallet]) if wallet < self.coins.size else 0.0

    def reconcile(self) -> float:
        """Check the ledger against every coin wallet and every creator's balance; return the gap (0 when balanced)."""
        owed = self.pending_total + float(self.cleared.sum()) + float(self.today_credit.sum())
        return self.ledger.check(float(self.coins.sum()), owed)

    # ------------------------------------------------------------------ end of day
    def end_of_day(self, day: int, runoff: bool) -> None:
        """Score, act, review, decide appeals, adapt, land chargebacks, pay out; log the day.

        Days of the run-off go through :meth:`run_off`, which skips those with nothing to do.
        """
        enf = self.enf
        if not runoff:
            # The run-off only settles money: enforcement stops with the activity, so that its
            # length (which grows with the payout hold) cannot change enforcement results.
            ids, risk = enf.score_day(day, lambda ids: self.streams.normal_at("detection", day, ids))
            enf.act(day, ids, risk)
            self._schedule_chargebacks(day)
            enf.review(day, lambda ids: self.streams.uniform_at("review", day, ids))
            enf.appeals(day, lambda ids: self.streams.uniform_at("appeals", day, ids))
            self.adv.end_day(day)
        self._land_chargebacks(day)
        if not runoff or self._clears_on(day):
            self._clear_and_pay(day)
        enf.end_day()
        gap = self.reconcile()
        self.tally.close_day(day, enf, gap, runoff)

    def run_off(self, days: range) -> None:
        """The ends of run-off ``days`` in turn, closing the quiet days between busy ones at once.

        The core passes the whole run-off, the Mesa model one day at a time. The busy days are
        known at the start: nothing is added to holds or to the chargebacks due once activity
        stops (a day found busy that turns out to have nothing left to do is simply processed,
        which changes nothing).
        """
        busy = self._busy_days(range(days.start, days.stop))
        day = days.start
        for busy_day in [*busy, days.stop]:
            if busy_day > day:
                self.tally.close_quiet_days(range(day, busy_day))
            if busy_day < days.stop:
                self.end_of_day(busy_day, runoff=True)
            day = busy_day + 1

    def _busy_days(self, days: range) -> list[int]:
        """The run-off ``days``, in order, on which anything happens.

        A run-off day changes something only if a chargeback lands or held earnings clear: nobody
        gifts, enforcement stands still and chargebacks only lower balances, and after any day's
        payout what stays cleared is frozen or under the minimum payout, so only earnings
        clearing can make a payout due.
        """
        hold = self.params.policy.payout_hold_days
        slots = np.flatnonzero(self.pending.any(axis=1))  # slot s clears on days with (d - hold) % (hold + 1) == s
        clearing = (days.start + (slots - (days.start - hold)) % (hold + 1)).tolist()
        return sorted(day for day in {*clearing, *self.chargebacks_due} if day in days)

    def _clears_on(self, day: int) -> bool:
        """Whether held earnings clear on ``day`` (in the run-off, nothing else can make a payout due)."""
        return bool(self.pending[self._clearing_slot(day)].any())

    def _clearing_slot(self, day: int) -> int:
        """The row of ``pending`` whose earnings clear on ``day`` (those held ``payout_hold_days`` ago)."""
        hold = self.params.policy.payout_hold_days
        return (day - hold) % (hold + 1)

    def summary(self, sim_seconds: float) -> dict[str, float | None]:
        """The run's flat metrics (call once the run-off is done)."""
        c_frozen = self.enf.frozen_creators() & (self.world.creators.role == C_BENIGN)
        frozen_benign = float(self.cleared[c_frozen].sum() + self.pending[:, c_frozen].sum())
        steps = agent_steps(self.world.agents, 24 * self.params.days)
        return summarize(self.tally, self.enf, frozen_benign, self.adv.activations,
                         self.ledger.max_imbalance, sim_seconds, steps)

    def _clear_and_pay(self, day: int) -> None:
        hold = self.params.policy.payout_hold_days
        self.pending[day % (hold + 1)] += self.today_credit
        self.today_credit[:] = 0.0
        due = self._clearing_slot(day)
        self.cleared += self.pending[due]
        self.pending[due] = 0.0
        self.pending_total = float(self.pending.sum())
        payable = ~self.enf.frozen_creators() & (self.cleared >= self.params.economy.min_payout)
        paid = self.cleared[payable]
        if paid.size:
            # Laundered = payouts to ring creators × the share of their earnings that was ring money.
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
        who, amount = _total_by_account(who, amount)
        # Draws indexed by account, so that a fraudster's dispute and delay on a day do not
        # depend on which others bought that day (paired runs).
        disputed = self.streams.uniform_at("chargebacks", day, who) < cf.chargeback_rate
        if not disputed.any():
            return
        who, amount = who[disputed], amount[disputed]
        delay = np.exp(np.log(cf.chargeback_delay_median_days)
                       + 0.5 * self.streams.normal_at("chargeback_delay", day, who))
        delay = np.minimum(np.maximum(np.round(delay), 1), cf.chargeback_delay_max_days).astype(int)
        for d in np.unique(delay).tolist():  # each landing day gets its accounts, still distinct and sorted
            lands = delay == d
            self.chargebacks_due.setdefault(day + d, []).append((who[lands], amount[lands]))

    def _land_chargebacks(self, day: int) -> None:
        """Refund cardholders; recover from the fraudster's coins, then the accomplice's balance.

        The platform reverses its own share of the stolen gifts (a cost, not a harm); the creator's
        share is clawed back from the accomplice's unpaid balance, and what was already paid out
        is the fraud loss.
        """
        if day not in self.chargebacks_due:
            return
        parts = self.chargebacks_due.pop(day)
        if len(parts) == 1:  # scheduled on one day: its accounts are distinct and sorted already
            who, amount = parts[0]
        else:
            who, amount = _total_by_account(np.concatenate([w for w, _ in parts]),
                                            np.concatenate([a for _, a in parts]))
        wallet = self.wallet[who]
        from_coins = np.minimum(amount, self.coins[wallet])
        self.coins[wallet] -= from_coins
        gifted = amount - from_coins
        creator_part = (1.0 - self.params.economy.platform_share) * gifted
        accomplice = self.world.viewers.group[who]
        owed_by = np.bincount(accomplice, weights=creator_part, minlength=self.world.creators.n)
        cs = (owed_by > 0).nonzero()[0]
        owed = owed_by[cs]
        from_cleared = np.minimum(owed, self.cleared[cs])
        self.cleared[cs] -= from_cleared
        recovered = float(from_cleared.sum())
        if self.pending_total > 0:  # else nothing is held (once the holds have cleared in the run-off)
            held = self.pending[:, cs].sum(axis=0)
            from_held = np.minimum(owed - from_cleared, held)
            keep = np.where(held > 0, 1.0 - from_held / np.maximum(held, 1e-300), 1.0)
            self.pending[:, cs] *= keep
            self.pending_total = float(self.pending.sum())
            recovered = float(from_cleared.sum() + from_held.sum())
        refunded = float(amount.sum())
        self.ledger.chargeback(refunded, float(from_coins.sum()), recovered)
        self.tally.chargebacks += refunded
        self.tally.chargeback_cost += refunded - float(from_coins.sum()) - recovered
        self.tally.fraud_loss += float(creator_part.sum()) - recovered


def _balances_by_hour(balance: np.ndarray, account: np.ndarray, hours: np.ndarray, change: np.ndarray,
                      n_hours: int) -> np.ndarray:
    """Apply ``change`` row by row to ``balance[account]``; return the touched balances by hour.

    Row 0 of the table is the touched accounts' balances before, row h + 1 after hour h. An
    account changed once an hour (a coin wallet) ends exactly as adding its changes one by one
    leaves it; several changes in an hour are summed first, which can differ in the last bit.
    """
    if kernels.balances_by_hour is not None:  # the same table in one compiled loop
        return kernels.balances_by_hour(balance, account, hours, change, n_hours)
    column = np.zeros(balance.size, np.intp)
    column[account] = 1
    touched = column.nonzero()[0]
    column[touched] = np.arange(touched.size)
    cell = (hours + 1) * touched.size + column[account]
    table = np.bincount(cell, weights=change, minlength=(n_hours + 1) * touched.size).reshape(n_hours + 1, -1)
    table[0] = balance[touched]
    table.cumsum(axis=0, out=table)
    balance[touched] = table[-1]
    return table


def _total_by_account(who: np.ndarray, amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct accounts in ``who`` (sorted) and the total ``amount`` of each."""
    return Groups(who).totals(amount)


def _check_order(batch: GiftBatch, senders: Groups) -> None:
    """Refuse a batch that is not in hour order or has a sender twice in one hour.

    Settlement's running totals and hour-by-hour money moves rely on both.
    """
    if batch.hour.size > 1 and (np.diff(batch.hour) < 0).any():
        raise ValueError("gift intents must be in hour order")
    if senders.repeats:
        hour = batch.hour[senders.order]
        if ((hour[1:] == hour[:-1]) & ~senders.first[1:]).any():
            raise ValueError("a sender has two gift intents in one hour")
