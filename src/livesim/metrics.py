"""Metric definitions (names, units, directions) and the tallies both engines fill in.

:data:`METRICS` is the one glossary of ``summary.json`` keys: the README table, the report and
the tests read it. :class:`Tally` accumulates money flows as they happen; :func:`summarize` turns
a finished run into the flat ``metrics`` dict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from operator import attrgetter

import numpy as np

from livesim.policy import Enforcement

__all__ = ["DAILY_COLUMNS", "METRICS", "SHOWN_WHEN_NONZERO", "Metric", "Tally", "agent_steps", "is_shown",
           "summarize"]


@dataclass(frozen=True)
class Metric:
    """A named outcome: what it means, its unit, and which direction is better."""

    description: str
    unit: str
    better: str  # "higher", "lower" or "" (context only)


METRICS: dict[str, Metric] = {
    "revenue.gross": Metric("value of all gifts sent", "currency", "higher"),
    "revenue.platform_net": Metric("platform's share of gifts minus the cost of chargebacks (its reversed share and the unrecovered payouts)", "currency", "higher"),
    "revenue.creator_earnings": Metric("creators' share of gifts", "currency", "higher"),
    "revenue.legit_blocked": Metric(
        "gift value between benign adult gifters and benign creators that the policy blocked "
        "(caps, actions, churn, eligibility), plus benign creators' earnings still frozen at the end",
        "currency", "lower"),
    "harm.laundered": Metric("ring money cashed out by ring creators (payouts × their share of ring money)", "currency", "lower"),
    "harm.fraud_loss": Metric("creators' share of charged-back stolen-card gifts already paid out (not recovered from held balances)", "currency", "lower"),
    "harm.minor_spend": Metric("gift value sent by minors", "currency", "lower"),
    "harm.violating_gifts": Metric("gift value sent on violating streams", "currency", "lower"),
    "harm.total": Metric("sum of the four harms above", "currency", "lower"),
    "harm.bot_diverted_gifts": Metric("benign gifts received by bot-boosted creators (not in harm.total)", "currency", "lower"),
    "enforcement.actions": Metric("distinct accounts actioned (restricted or suspended) at least once", "accounts", ""),
    "enforcement.true_positives": Metric("actioned accounts that are bad actors or minors", "accounts", "higher"),
    "enforcement.false_positives": Metric("actioned accounts that are benign", "accounts", "lower"),
    "enforcement.precision": Metric("true positives / actions (null when nothing was actioned)", "ratio", "higher"),
    "enforcement.recall": Metric("true positives / bad actors and minors that ever tried to gift or receive gifts (null when none)", "ratio", "higher"),
    "enforcement.fp_rate": Metric("false positives / benign accounts that ever tried to gift or receive gifts", "ratio", "lower"),
    "enforcement.legit_creators_actioned": Metric("benign creators actioned", "accounts", "lower"),
    "enforcement.legit_gifters_actioned": Metric("benign adult gifters actioned", "accounts", "lower"),
    "enforcement.reversed_on_appeal": Metric("actions reversed on appeal", "accounts", ""),
    "enforcement.replacement_accounts": Metric("reserve accounts bad actors woke (replacing banned ones or spreading)", "accounts", ""),
    "review.decisions": Metric("accounts decided by human review", "accounts", ""),
    "review.backlog_max": Metric("largest human-review queue at the end of a day", "accounts", "lower"),
    "ledger.imbalance": Metric("largest absolute ledger reconciliation gap over the run (should be 0)", "currency", "lower"),
    "perf.sim_seconds": Metric("wall time of the simulation loop (no start-up or writing)", "seconds", ""),
    "perf.agent_steps_per_second": Metric("agents × hourly ticks / perf.sim_seconds", "1/s", "higher"),
}

#: Metrics a summary shows only when some run gives them a value other than 0: they measure an
#: actor that many worlds do not have (the run summary and the report leave them out there).
SHOWN_WHEN_NONZERO: frozenset[str] = frozenset({"harm.bot_diverted_gifts"})


def is_shown(key: str, values: Iterable[float | None]) -> bool:
    """Whether a summary shows metric ``key`` given its values (one run's, or every point's mean)."""
    return key not in SHOWN_WHEN_NONZERO or any(v for v in values if v is not None and v == v)  # v == v: not NaN

#: Columns of ``timeseries.csv`` besides ``day`` (each a value for that day, not cumulative,
#: except the levels below).
DAILY_COLUMNS = (
    "revenue.gross", "revenue.platform_net", "revenue.creator_earnings", "revenue.legit_blocked",
    "harm.laundered", "harm.fraud_loss", "harm.minor_spend", "harm.violating_gifts", "harm.total",
    "payouts", "chargebacks", "viewers_online", "enforcement.actions", "review.backlog",
    "ledger.imbalance", "runoff",
)
#: The daily columns that are levels or flags, not the day's flows.
DAILY_LEVELS = ("enforcement.actions", "review.backlog", "ledger.imbalance", "runoff")


def agent_steps(agents: int, ticks: int) -> int:
    """The one definition of work shared by every engine: one agent through one hourly tick."""
    return int(agents) * int(ticks)


@dataclass
class Tally:
    """Running totals of money flows (currency units), filled by an engine as it steps."""

    gross: float = 0.0
    platform_share: float = 0.0
    creator_share: float = 0.0
    legit_blocked: float = 0.0
    laundered: float = 0.0
    fraud_loss: float = 0.0
    minor_spend: float = 0.0
    violating_gifts: float = 0.0
    bot_diverted: float = 0.0
    payouts: float = 0.0
    chargebacks: float = 0.0
    chargeback_cost: float = 0.0
    viewers_online: float = 0.0
    daily: list[dict[str, float]] = field(default_factory=list)
    # The flows when the last day closed (none yet: all zero).
    _at_last_close: tuple[float, ...] = field(default_factory=lambda: (0.0,) * len(_FLOW_FIELDS), init=False,
                                              repr=False)

    def flows(self) -> dict[str, float]:
        """The running totals of every money flow, by field name."""
        return dict(zip(_FLOW_FIELDS, _flow_values(self), strict=True))

    def close_day(self, day: int, enforcement: Enforcement, imbalance: float, runoff: bool) -> None:
        """Append the day's row to the time series (differences of running totals).

        Enforcement stands still in the run-off, so a run-off day's counts are the previous row's.
        """
        now = _flow_values(self)
        d = dict(zip(_FLOW_FIELDS, [a - b for a, b in zip(now, self._at_last_close, strict=True)], strict=True))
        if runoff and self.daily:
            actions, backlog = self.daily[-1]["enforcement.actions"], self.daily[-1]["review.backlog"]
        else:
            actions = int(np.count_nonzero(enforcement.ever_actioned))
            backlog = int(np.count_nonzero(enforcement.in_review))
        self.daily.append({
            "day": day + 1,
            **_money_metrics(d),
            "payouts": d["payouts"],
            "chargebacks": d["chargebacks"],
            "viewers_online": d["viewers_online"],
            "enforcement.actions": actions,
            "review.backlog": backlog,
            "ledger.imbalance": imbalance,
            "runoff": int(runoff),
        })
        self._at_last_close = now

    def close_quiet_days(self, days: range) -> None:
        """Append the rows of run-off days on which nothing moved (the previous row, flows zero).

        Equal to what :meth:`close_day` would append, without recounting enforcement state that
        a day without activity cannot change.
        """
        quiet = {**self.daily[-1], **_NO_FLOWS, "runoff": 1}
        for day in days:
            row = quiet.copy()
            row["day"] = day + 1
            self.daily.append(row)


_NO_FLOWS = dict.fromkeys((c for c in DAILY_COLUMNS if c not in DAILY_LEVELS), 0.0)
_FLOW_FIELDS = tuple(f.name for f in fields(Tally) if f.type in ("float", float))
_flow_values = attrgetter(*_FLOW_FIELDS)


def _money_metrics(flows: dict[str, float]) -> dict[str, float]:
    """Revenue and harm metrics from money flows (a run's totals or one day's)."""
    f = flows
    return {
        "revenue.gross": f["gross"],
        "revenue.platform_net": f["platform_share"] - f["chargeback_cost"],
        "revenue.creator_earnings": f["creator_share"],
        "revenue.legit_blocked": f["legit_blocked"],
        "harm.laundered": f["laundered"],
        "harm.fraud_loss": f["fraud_loss"],
        "harm.minor_spend": f["minor_spend"],
        "harm.violating_gifts": f["violating_gifts"],
        "harm.total": f["laundered"] + f["fraud_loss"] + f["minor_spend"] + f["violating_gifts"],
    }


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else float(num) / float(den)


def summarize(tally: Tally, enforcement: Enforcement, frozen_benign: float,
              replacements: int, imbalance: float, sim_seconds: float, steps: int) -> dict[str, float | None]:
    """Build the flat ``metrics`` dict of ``summary.json`` (keys as in :data:`METRICS`).

    Parameters
    ----------
    frozen_benign
        Benign creators' earnings still frozen by enforcement at the end (counted as blocked).
    """
    e = enforcement
    acted = e.ever_actioned
    tp = int((acted & e.target).sum())
    fp = int((acted & ~e.target).sum())
    # The detector only sees accounts that transact, so rates are per account it ever saw.
    targets = int((e.target & e.ever_tried).sum())
    benign = int((~e.target & e.ever_tried).sum())
    out: dict[str, float | None] = {
        **_money_metrics(tally.flows()),
        "revenue.legit_blocked": tally.legit_blocked + frozen_benign,
        "harm.bot_diverted_gifts": tally.bot_diverted,
        "enforcement.actions": tp + fp,
        "enforcement.true_positives": tp,
        "enforcement.false_positives": fp,
        "enforcement.precision": _ratio(tp, tp + fp),
        "enforcement.recall": _ratio(tp, targets),
        "enforcement.fp_rate": _ratio(fp, benign) or 0.0,
        "enforcement.legit_creators_actioned": int((acted & ~e.target & e.is_creator).sum()),
        "enforcement.legit_gifters_actioned": int((acted & e.benign_gifter).sum()),
        "enforcement.reversed_on_appeal": e.reversals,
        "enforcement.replacement_accounts": replacements,
        "review.decisions": e.reviews_done,
        "review.backlog_max": e.backlog_max,
        "ledger.imbalance": imbalance,
        "perf.sim_seconds": sim_seconds,
        "perf.agent_steps_per_second": steps / sim_seconds if sim_seconds > 0 else None,
    }
    assert set(out) == set(METRICS), set(out) ^ set(METRICS)
    return out
