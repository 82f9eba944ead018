"""Double-entry ledger of the platform's money, reconciled with the agents' balances every tick.

Every movement is a posting from one account to another, so the accounts always sum to zero.
The invariant worth checking is reconciliation: the ``coins`` account must equal the sum of
viewers' coin balances and the ``creators`` account the sum of creators' unpaid balances. An
engine calls :meth:`Ledger.check` with those sums after every tick; the largest gap seen is the
run's ``ledger.imbalance``.

Accounts (currency units)
-------------------------
``card_payments``  money paid in for coins (negative: it came from outside)
``coins``          unspent coins held by viewers
``creators``       creators' earnings not yet paid out (held and cleared)
``platform``       the platform's retained money: its gift share, recoveries, forfeits, minus losses
``payouts``        money paid out to creators (left the platform)
``refunds``        chargebacks refunded to cardholders (left the platform)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["ACCOUNTS", "Ledger", "Posting"]

ACCOUNTS = ("card_payments", "coins", "creators", "platform", "payouts", "refunds")

#: Floating sums of many small amounts drift by ~1e-16 × the money bought; a gap within this
#: share of it is forgiven (reported as 0), anything larger is flagged.
_DRIFT = 1e-9

Amount = float | np.ndarray
Posting = tuple[str, str, Amount]
"""(source, target, amount): one amount, or one per hour for :meth:`Ledger.post_hourly`."""


class Ledger:
    """Platform-level accounts and the largest reconciliation gap seen."""

    def __init__(self) -> None:
        self.balance: dict[str, float] = dict.fromkeys(ACCOUNTS, 0.0)
        self.max_imbalance = 0.0

    def post(self, source: str, target: str, amount: float) -> None:
        """Move ``amount`` (currency, ≥ 0) from ``source`` to ``target``.

        A difference of float sums can come out at -1e-13 where it is 0 in exact arithmetic;
        such rounding noise is posted as it is, so that the accounts still sum to exactly zero.
        """
        if amount < -1e-6:
            raise ValueError(f"negative posting {amount} from {source} to {target}")
        self.balance[source] -= amount
        self.balance[target] += amount

    def post_hourly(self, postings: Sequence[Posting]) -> dict[str, np.ndarray]:
        """Post several hours' entries, hour by hour and each hour's in the order given.

        Every amount array holds one amount per hour. Returns every account's balance after
        each hour, for :meth:`check`. The balances come out exactly as posting the entries one
        by one would leave them: a running sum adds the same amounts in the same order.
        """
        amounts = np.array([amount for _, _, amount in postings], float)  # [posting, hour]
        if amounts.size and amounts.min() < -1e-6:
            raise ValueError(f"negative posting {amounts.min()} in {[(s, t) for s, t, _ in postings]}")
        per_hour, hours = amounts.shape
        row = {account: i for i, account in enumerate(self.balance)}
        steps = np.zeros((len(row), 1 + per_hour * hours))  # [account, each posting of each hour]
        steps[:, 0] = list(self.balance.values())
        for k, (source, target, _) in enumerate(postings):
            steps[row[source], 1 + k::per_hour] -= amounts[k]
            steps[row[target], 1 + k::per_hour] += amounts[k]
        running = steps.cumsum(axis=1)
        self.balance.update(zip(row, running[:, -1].tolist(), strict=True))
        return dict(zip(row, running[:, per_hour::per_hour], strict=True))

    def purchase(self, amount: float) -> None:
        """Viewers buy coins for ``amount``."""
        for posting in self.purchase_postings(amount):
            self.post(*posting)

    def gift(self, amount: float, platform_part: float) -> None:
        """Viewers spend ``amount`` of coins on gifts; ``platform_part`` is the platform's share."""
        for posting in self.gift_postings(amount, platform_part):
            self.post(*posting)

    @staticmethod
    def purchase_postings(amount: Amount) -> list[Posting]:
        """The entries of buying coins for ``amount`` (a float, or one per hour)."""
        return [("card_payments", "coins", amount)]

    @staticmethod
    def gift_postings(amount: Amount, platform_part: Amount) -> list[Posting]:
        """The entries of gifts of ``amount`` in coins, of which ``platform_part`` is the platform's."""
        return [("coins", "platform", platform_part), ("coins", "creators", amount - platform_part)]

    def payout(self, amount: float) -> None:
        """Creators cash out ``amount``."""
        self.post("creators", "payouts", amount)

    def chargeback(self, refunded: float, from_coins: float, from_creators: float) -> None:
        """Refund a cardholder; recover what can be recovered, the platform bears the rest."""
        loss = refunded - from_coins - from_creators
        self.post("coins", "refunds", from_coins)
        self.post("creators", "refunds", from_creators)
        self.post("platform", "refunds", loss)

    def forfeit_coins(self, amount: float) -> None:
        """Coins of a terminated account go to the platform."""
        self.post("coins", "platform", amount)

    def check(self, coins_held: float | np.ndarray, creators_owed: float | np.ndarray,
              balance: Mapping[str, float | np.ndarray] | None = None) -> float | np.ndarray:
        """Reconcile with the agents' balances; return (and remember the largest) gap.

        Parameters
        ----------
        coins_held
            Sum of all viewers' coin balances (currency).
        creators_owed
            Sum of all creators' unpaid balances, held and cleared (currency).
        balance
            The accounts to check, by default the current ones; with the balances after each
            hour from :meth:`post_hourly` and the sums arrays of one per hour, every hour is
            checked and the gaps are returned as an array.
        """
        b = self.balance if balance is None else balance
        hourly = isinstance(coins_held, np.ndarray)
        # One formula for one check (plain floats: the day's end, a Mesa tick) and for an array of hours.
        top, size = (np.maximum, np.abs) if hourly else (max, abs)
        gap = top(top(size(b["coins"] - coins_held), size(b["creators"] - creators_owed)), size(sum(b.values())))
        forgiven = gap <= _DRIFT * top(1.0, -b["card_payments"])
        gap = np.where(forgiven, 0.0, gap) if hourly else (0.0 if forgiven else gap)
        self.max_imbalance = max(self.max_imbalance, float(gap.max(initial=0.0)) if hourly else gap)
        return gap
