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

__all__ = ["ACCOUNTS", "Ledger"]

ACCOUNTS = ("card_payments", "coins", "creators", "platform", "payouts", "refunds")


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

    def purchase(self, amount: float) -> None:
        """Viewers buy coins for ``amount``."""
        self.post("card_payments", "coins", amount)

    def gift(self, amount: float, platform_part: float) -> None:
        """Viewers spend ``amount`` of coins on gifts; ``platform_part`` is the platform's share."""
        self.post("coins", "platform", platform_part)
        self.post("coins", "creators", amount - platform_part)

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

    def check(self, coins_held: float, creators_owed: float) -> float:
        """Reconcile with the agents' balances; return (and remember) the largest gap.

        Parameters
        ----------
        coins_held
            Sum of all viewers' coin balances (currency).
        creators_owed
            Sum of all creators' unpaid balances, held and cleared (currency).
        """
        gap = max(
            abs(self.balance["coins"] - coins_held),
            abs(self.balance["creators"] - creators_owed),
            abs(sum(self.balance.values())),
        )
        # Floating sums of many small amounts drift by ~1e-16 × total; forgive that, flag the rest.
        scale = max(1.0, -self.balance["card_payments"])
        gap = 0.0 if gap <= 1e-9 * scale else gap
        self.max_imbalance = max(self.max_imbalance, gap)
        return gap
