"""The policy engine: gift gating (caps, age gate, eligibility), scoring, review, strikes, appeals.

Accounts share one index space: viewers are ``0 … n_viewers-1`` and creators follow them, so one
code path scores, actions, reviews and reverses both kinds. :class:`Enforcement` holds the
policy's state; its methods take arrays of account ids of any length, so the vectorized core
calls them once per tick or day for all accounts and the Mesa model calls them for one agent.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from livesim.detection import calibrated_risk, raw_scores, separation
from livesim.grouped import Groups
from livesim.params import Params
from livesim.world import (
    C_ACCOMPLICE,
    C_BENIGN,
    C_BOOSTED,
    C_RING,
    C_VIOLATING,
    V_BENIGN,
    V_BOT,
    V_FRAUD,
    V_RING,
    World,
)

__all__ = ["OK", "RESTRICTED", "SUSPENDED", "AccountDraws", "Enforcement", "GiftBatch"]

OK, RESTRICTED, SUSPENDED = 0, 1, 2
_NO_DAY = -1_000_000  # "never": far enough in the past that any strike has expired

#: Per-account random draws of a day: given account ids, one draw each, the same for an account
#: whichever others are asked for (see :meth:`livesim.rng.Streams.uniform_at`).
AccountDraws = Callable[[np.ndarray], np.ndarray]


class GiftBatch:
    """Gift intents: who wants to send how much to whom, and in which hour (one row per sender and hour).

    A batch may hold one hour (the Mesa model settles one agent's intent at a time) or a whole
    day (the core); rows are in hour order, and a sender appears at most once per hour.

    Attributes
    ----------
    viewer, creator
        Sender viewer ids and recipient creator ids (int64 arrays of equal length).
    intent
        Value the sender wants to gift (currency).
    stolen
        True where the coins would be bought with a stolen card.
    hour
        Hour of the day of each intent.
    """

    __slots__ = ("viewer", "creator", "intent", "stolen", "hour")

    def __init__(self, viewer: np.ndarray, creator: np.ndarray, intent: np.ndarray,
                 stolen: np.ndarray | None = None, hour: np.ndarray | None = None) -> None:
        self.viewer = viewer
        self.creator = creator
        self.intent = intent
        self.stolen = np.zeros(viewer.size, bool) if stolen is None else stolen
        self.hour = np.zeros(viewer.size, np.intp) if hour is None else hour

    def __len__(self) -> int:
        return self.viewer.size

    def take(self, rows: np.ndarray) -> GiftBatch:
        """The batch's ``rows`` (an index or mask)."""
        return GiftBatch(*(getattr(self, f)[rows] for f in GiftBatch.__slots__))

    @staticmethod
    def merge_by_hour(batches: list[GiftBatch]) -> GiftBatch:
        """Join batches (each in hour order) into one in hour order, earlier batches first within an hour."""
        joined = GiftBatch(*(np.concatenate([getattr(b, f) for b in batches]) for f in GiftBatch.__slots__))
        return joined.take(joined.hour.argsort(kind="stable"))


class Enforcement:
    """The state of enforcement for every account, and the rules that change it.

    Parameters
    ----------
    params
        Validated parameters (``policy`` and ``detection`` are read).
    world
        The population; roles decide which accounts are targets (bad actors or minors).
    """

    def __init__(self, params: Params, world: World) -> None:
        self.params = params
        self.pol = params.policy
        self.det = params.detection
        v, c = world.viewers, world.creators
        self.n_viewers = v.n
        n = v.n + c.n
        self.n = n
        self.status = np.zeros(n, np.int8)
        self.ever_actioned = np.zeros(n, bool)
        # Each strike expires on its own (TikTok: after 90 days); only the latest few can matter.
        self.strike_days = np.full((n, max(self.pol.strikes_to_suspend, self.pol.strikes_to_restrict)),
                                   _NO_DAY, np.int32)
        # The status a number of strikes in force calls for (index: strikes, 0 … the most kept),
        # and the same at least at the policy's action for an automated strike.
        in_force = np.arange(self.strike_days.shape[1] + 1)
        self._level = np.where(in_force >= self.pol.strikes_to_suspend, SUSPENDED,
                               np.where(in_force >= self.pol.strikes_to_restrict, RESTRICTED, OK)).astype(np.int8)
        self._automated_level = np.maximum(self._level, SUSPENDED if self.pol.action == "suspend" else RESTRICTED
                                           ).astype(np.int8)
        self.in_review = np.zeros(n, bool)
        self.priority = np.zeros(n, np.float32)
        self.appeals_due: dict[int, list[np.ndarray]] = {}
        self.appealed = np.zeros(n, bool)
        self.churned = np.zeros(n, bool)
        self.reversals = 0
        self.reviews_done = 0
        self.backlog_max = 0

        self.is_creator = np.zeros(n, bool)
        self.is_creator[v.n:] = True
        role_v, role_c = v.role, c.role
        self.target = np.concatenate([(role_v != V_BENIGN) | v.is_minor, role_c != C_BENIGN])
        self.born_day = np.concatenate([v.born_day, c.born_day])
        self.persistent = np.concatenate([v.detect_z, c.detect_z])
        self.appeal_u = np.concatenate([v.appeal_u, c.appeal_u])
        self.churn_u = np.concatenate([v.churn_u, np.ones(c.n, np.float32)])
        self.benign_gifter = np.zeros(n, bool)
        self.benign_gifter[v.gifter_ids[~v.is_minor[v.gifter_ids]]] = True

        # True score means: benign 0; each typology its own separation; adaptive actors hide part.
        det = self.det
        self._viewer_role = role_v
        self._separation_by_role = np.zeros(max(V_RING, V_FRAUD, V_BOT) + 1)
        for role, auc in ((V_RING, det.auc_ring), (V_FRAUD, det.auc_card_fraud), (V_BOT, det.auc_bot)):
            self._separation_by_role[role] = separation(auc)
        mean = self._separation_by_role[role_v].astype(np.float32)
        mean = np.concatenate([mean, np.zeros(c.n, np.float32)])
        mean[np.flatnonzero(v.is_minor)] = separation(det.auc_minor)
        for role, auc in ((C_RING, det.auc_ring), (C_ACCOMPLICE, det.auc_card_fraud),
                          (C_BOOSTED, det.auc_bot), (C_VIOLATING, det.auc_violating)):
            mean[v.n + np.flatnonzero(role_c == role)] = separation(auc)
        self.score_mean = mean
        self.make_adaptive(np.flatnonzero(v.adaptive))

        # Daily activity per account (sent for viewers, received for creators) and its history.
        # float64: a cap's remainder is worked out from it, and must match settlement's running totals.
        self.today_value = np.zeros(n)
        # Gifters had a history before the run: their usual day is their expected spend on a day
        # online, so the velocity rule does not fire on everyone's first day. Accounts that never
        # gifted (and bad actors) start at 0: a sudden big gift from them is the signal.
        self.usual_value = np.zeros(n, np.float32)
        self.usual_value[v.gifter_ids] = v.spend_rate * params.population.session_hours
        self.tried_today = np.zeros(n, bool)
        self.ever_tried = np.zeros(n, bool)  # the detector's scope: accounts that ever transacted
        self._active_today = False

        # Minors the age gate stops (its strength is the chance it catches a minor).
        self.age_gated = v.is_minor & (v.gate_u < self.pol.age_gate_strength)
        self.creator_eligible = (
            c.followers >= self.pol.creator_min_followers
        )

    @property
    def strikes(self) -> np.ndarray:
        """Every account's strikes in force as of its latest strike (0 for none)."""
        latest = self.strike_days.max(axis=1, keepdims=True)
        in_force = (latest - self.strike_days) <= self.pol.strike_expiry_days
        return np.where(latest[:, 0] == _NO_DAY, 0, in_force.sum(axis=1))

    def make_adaptive(self, viewers: np.ndarray) -> None:
        """Score ``viewers`` (bad actors woken as adaptive accounts) with the evading separation."""
        sep = self._separation_by_role[self._viewer_role[viewers]]
        self.score_mean[viewers] = sep * (1.0 - self.params.actors.evasion)

    # ------------------------------------------------------------------ gift gating (per tick)
    def sender_cap(self, viewers: np.ndarray, day: int) -> np.ndarray:
        """Most each viewer may still gift today (currency; inf when no cap applies)."""
        pol = self.pol
        cap = np.inf if pol.daily_gift_cap is None else pol.daily_gift_cap
        if pol.new_account_daily_cap is not None:
            young = (day - self.born_day[viewers]) < pol.new_account_days
            cap = np.where(young, min(cap, pol.new_account_daily_cap), cap)
        return np.maximum(cap - self.today_value[viewers], 0.0)

    def allowed(self, batch: GiftBatch, day: int, senders: Groups | None = None) -> np.ndarray:
        """Value of each intent the policy lets through (currency); records who tried.

        A sender's intents are gated in hour order: a cap counts what the earlier ones sent.
        ``senders`` is the batch's rows grouped by sender, if the caller has it already.
        """
        pol = self.pol
        v, c = batch.viewer, batch.creator
        cid = c + self.n_viewers
        self.tried_today[v] = True
        self._active_today = True
        self.tried_today[cid] = True
        sender_ok = (self.status[v] == OK) & ~self.churned[v]
        sender_ok &= (day - self.born_day[v]) >= pol.min_account_age_days
        sender_ok &= ~self.age_gated[v]
        creator_ok = (self.status[cid] == OK) & self.creator_eligible[c]
        creator_ok &= (day - self.born_day[cid]) >= pol.creator_min_age_days
        wanted = np.where(sender_ok & creator_ok, batch.intent, 0.0)
        if pol.daily_gift_cap is None and pol.new_account_daily_cap is None:
            return wanted
        # Each intent gets what is left of the cap after the sender's earlier intents in the
        # batch; what those wanted beyond the cap was never sent, so "wanted so far" suffices.
        wanted_before, _ = (senders or Groups(v)).running_sums(wanted)
        return np.minimum(wanted, np.maximum(self.sender_cap(v, day) - wanted_before, 0.0))

    def record_sent(self, viewers: np.ndarray, creators: np.ndarray, amount: np.ndarray) -> None:
        """Add settled gifts to today's activity of senders and recipients."""
        np.add.at(self.today_value, viewers, amount)
        np.add.at(self.today_value, creators + self.n_viewers, amount)

    # ------------------------------------------------------------------ daily enforcement
    def frozen_creators(self) -> np.ndarray:
        """Boolean mask over creators whose payouts are frozen today."""
        s = self.status[self.n_viewers:] != OK
        if self.pol.hold_on_review:
            s = s | self.in_review[self.n_viewers:]
        return s

    def score_day(self, day: int, noise: AccountDraws) -> tuple[np.ndarray, np.ndarray]:
        """Score today's active accounts; return their ids and calibrated risks.

        ``noise`` gives the day's standard-normal draw of the accounts asked for; an account's
        draw does not depend on who else was active, which keeps runs under different policies
        paired.
        """
        det = self.det
        ids = self.tried_today.nonzero()[0]
        ids = ids[self.status[ids] != SUSPENDED]
        score = raw_scores(self.score_mean[ids], self.persistent[ids], noise(ids), det.persistence)
        young = (day - self.born_day[ids]) < self.pol.new_account_days
        fast = self.today_value[ids] > det.velocity_multiple * self.usual_value[ids] + det.velocity_floor
        llr = young * det.rule_new_account_llr + fast * det.rule_velocity_llr  # the rules that fired
        return ids, calibrated_risk(score, det.auc, det.assumed_prevalence, llr)

    def act(self, day: int, ids: np.ndarray, risk: np.ndarray) -> None:
        """Apply thresholds: automated action at ``risk_threshold``, review queue above ``review_threshold``."""
        pol = self.pol
        auto = np.zeros(ids.size, bool) if pol.risk_threshold is None else risk >= pol.risk_threshold
        # Automation acts on accounts in good standing; escalation is review's job, so a persistent
        # score does not turn a restriction into a suspension by itself, day after day.
        self._strike(day, ids[auto & (self.status[ids] == OK)], automated=True)
        if pol.review_threshold is not None:
            queue = (~auto) & (risk >= pol.review_threshold)
            q, q_risk = ids[queue], risk[queue]
            new = (self.status[q] == OK) & ~self.in_review[q]
            self.in_review[q[new]] = True
            self.priority[q[new]] = q_risk[new]

    def review(self, day: int, uniform: AccountDraws) -> None:
        """Human review decides the riskiest queued accounts, up to the daily capacity.

        ``uniform`` gives the day's review draw (uniform in (0, 1)) of the accounts asked for.
        """
        pol = self.pol
        queue = self.in_review.nonzero()[0]
        if pol.review_capacity == 0 or queue.size == 0:
            self.backlog_max = max(self.backlog_max, int(queue.size))
            return
        k = min(pol.review_capacity, queue.size)
        # Highest risk first; ties by account id so the order is deterministic.
        picked = queue[np.lexsort((queue, -self.priority[queue]))[:k]]
        # An account's draw does not depend on who else is queued.
        correct = uniform(picked) < pol.reviewer_accuracy
        violation = np.where(self.target[picked], correct, ~correct)
        self.in_review[picked] = False
        self.reviews_done += int(k)
        self._strike(day, picked[violation], automated=False)
        self.backlog_max = max(self.backlog_max, int(queue.size - k))  # the picked left the queue

    def _strike(self, day: int, ids: np.ndarray, automated: bool) -> None:
        pol = self.pol
        if ids.size == 0:
            return
        days = self.strike_days[ids]
        days[np.arange(ids.size), days.argmin(axis=1)] = day  # the new strike replaces the oldest
        self.strike_days[ids] = days
        strikes = (days >= day - pol.strike_expiry_days).sum(axis=1)
        level = (self._automated_level if automated else self._level)[strikes]
        status = self.status[ids]
        newly = ids[(level > OK) & (status == OK)]
        self.status[ids] = np.maximum(status, level)
        self.in_review[ids] = False
        self.ever_actioned[newly] = True
        churn = newly[self.benign_gifter[newly] & (self.churn_u[newly] < pol.fp_churn)]
        self.churned[churn] = True
        appeal = newly[~self.appealed[newly] & (self.appeal_u[newly] < pol.appeal_rate)]
        self.appealed[appeal] = True
        if appeal.size:
            self.appeals_due.setdefault(day + pol.appeal_delay_days, []).append(appeal)

    def appeals(self, day: int, uniform: AccountDraws) -> np.ndarray:
        """Decide appeals due today; return the accounts whose action was reversed.

        ``uniform`` gives the day's appeal draw (uniform in (0, 1)) of the accounts asked for.
        """
        if day not in self.appeals_due:
            return np.zeros(0, np.int64)
        due = np.unique(np.concatenate(self.appeals_due.pop(day)))
        correct = uniform(due) < self.pol.reviewer_accuracy
        reverse = np.where(self.target[due], ~correct, correct)
        back = due[reverse & (self.status[due] != OK)]
        self.status[back] = OK
        self.strike_days[back] = _NO_DAY
        self.reversals += int(back.size)
        return back

    def end_day(self) -> None:
        """Roll today's activity into each account's usual level and clear the day's counters."""
        if not self._active_today:
            return  # a day without a gift (the run-off): nothing to roll
        self._active_today = False
        active = self.tried_today.nonzero()[0]  # only those who tried have any activity today
        self.ever_tried[active] = True
        self.usual_value[active] = 0.8 * self.usual_value[active] + 0.2 * self.today_value[active]
        self.today_value[active] = 0.0
        self.tried_today[active] = False

