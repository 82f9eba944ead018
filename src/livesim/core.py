"""The vectorized engine: every phase of an hourly tick as array operations, no loop over agents.

A tick (one hour) runs: creators go live → online viewers pick a stream by audience → gifters
form gift intents → bad actors form theirs → the platform gates every intent (caps, age gate,
eligibility, actions), sells coins and splits gifts → the ledger is reconciled. The end of a day
(scoring, review, appeals, adaptation, chargebacks, payouts) and a run-off of days with no new
activity, so that holds clear and late chargebacks land, are :class:`~livesim.platform.Platform`'s.

Only viewers online in the hour are touched in a tick. Nothing a gift does changes the inputs of
any later intent in the same day (who is online, who is live, the policy's gates), so a day's
intents are formed in one pass; settlement carries caps and coin balances from hour to hour
with running totals, moves the money hour by hour and reconciles the ledger after each hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from livesim.economy import StreamChoice, gift_amount, gift_rate, gift_target
from livesim.params import Params
from livesim.platform import Platform, RunResult, runoff_days
from livesim.policy import GiftBatch
from livesim.rng import Streams
from livesim.world import V_BENIGN, Sessions, World, build_world, is_live, live_schedule, sessions_for_day

__all__ = ["CoreEngine", "RunResult", "run_core"]


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
        self.platform = Platform(params, self.world, self.streams)
        v = self.world.viewers
        self.gifter_slot = np.full(v.n, -1, np.int64)
        self.gifter_slot[v.gifter_ids] = np.arange(v.gifter_ids.size)
        self.organic = np.flatnonzero(v.role == V_BENIGN)

    def run(self, progress: Callable[[int, int], None] | None = None) -> RunResult:
        """Simulate ``days`` of activity plus the run-off; return metrics and the daily series.

        ``progress``, if given, is called after each active day with ``(days_done, days)``.
        """
        p = self.params
        start = time.perf_counter()
        for day in range(p.days):
            self._active_day(day)
            if progress is not None:
                progress(day + 1, p.days)
        for day in range(p.days, p.days + runoff_days(p)):
            self.platform.end_of_day(day, runoff=True)
        seconds = time.perf_counter() - start
        return RunResult(metrics=self.platform.summary(seconds), daily=self.platform.tally.daily)

    def _active_day(self, day: int) -> None:
        plat = self.platform
        batch, online = self.day_intents(day)
        plat.settle(batch, day, reconcile_each_hour=True)
        plat.tally.viewers_online += online
        plat.end_of_day(day, runoff=False)

    def day_intents(self, day: int) -> tuple[GiftBatch, int]:
        """Every gift intent of ``day`` in hour order, and the number of viewer-hours online.

        Nothing a gift does changes who is online, who is live, audience weights or the
        policy's gates before the day ends, so the whole day's intents are formed at once;
        settlement then carries caps and coin balances through the day hour by hour.
        """
        p, c, plat = self.params, self.world.creators, self.platform
        sched = self.streams.get("schedule", day)
        sessions = sessions_for_day(sched, self.world.viewers.p_online, self.organic,
                                    p.population.session_hours)
        live_from = live_schedule(sched, c.live_prob)
        plat.adv.start_day(day, self.streams.get("adversaries", day))
        # Actioned creators stay on the schedule (their gifts are blocked), so that who
        # watches what does not shift with the policy: paired runs stay paired.
        live_by_hour = is_live(live_from, np.arange(24)[:, None], p.population.live_hours)
        organic = self._organic_intents(sessions, live_by_hour, plat.creator_weights(),
                                        self.streams.get("tick", day))
        return GiftBatch.merge_by_hour([organic, plat.adv.intents(live_from)]), sessions.viewer.size

    def _organic_intents(self, sessions: Sessions, live_by_hour: np.ndarray, weight: np.ndarray,
                         rng: np.random.Generator) -> GiftBatch:
        p, v, c = self.params, self.world.viewers, self.world.creators
        # Every online viewer-hour draws its stream choice (so draws pair across policies), but
        # only gifters' choices affect an outcome, so only theirs are resolved.
        u_watch = rng.random(sessions.viewer.size)
        slot = self.gifter_slot[sessions.viewer]
        is_gifter = slot >= 0
        gifters, slot, hour = sessions.viewer[is_gifter], slot[is_gifter], sessions.hour[is_gifter]
        watching = StreamChoice(live_by_hour, weight).pick(u_watch[is_gifter], hour)
        favourites = v.favourites[slot]
        target = gift_target(rng.random(gifters.size), p.population.loyalty, favourites,
                             live_by_hour[hour[:, None], favourites], watching)
        rate = gift_rate(p, v.spend_rate[slot], v.gift_value[slot], c.role[target.clip(0)])
        intent = gift_amount(rng, rate, v.gift_value[slot], target)
        keep = intent > 0
        return GiftBatch(gifters[keep], target[keep], intent[keep], hour=hour[keep])


def run_core(params: Params, progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run one simulation on the vectorized engine."""
    return CoreEngine(params).run(progress)
