"""The vectorized engine: every phase of an hourly tick as array operations, no loop over agents.

A tick (one hour) runs: creators go live → online viewers pick a stream by audience → gifters
form gift intents → bad actors form theirs → the platform gates every intent (caps, age gate,
eligibility, actions), sells coins and splits gifts → the ledger is reconciled. The end of a day
(scoring, review, appeals, adaptation, chargebacks, payouts) and a run-off of days with no new
activity, so that holds clear and late chargebacks land, are :class:`~livesim.platform.Platform`'s.

Only viewers online in the hour are touched in a tick, and of those only gifters are resolved:
a viewer who never gifts changes no outcome by watching, so the core draws who of them is online
(the hours are counted) but not which stream each watches. Nothing a gift does changes the inputs of
any later intent in the same day (who is online, who is live, the policy's gates), so a day's
intents are formed in one pass; settlement carries caps and coin balances from hour to hour
with running totals, moves the money hour by hour and reconciles the ledger after each hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from livesim import kernels
from livesim.economy import StreamChoice, gift_amount, gift_rate, gift_target
from livesim.params import Params
from livesim.platform import Platform, RunResult, runoff_days
from livesim.policy import GiftBatch
from livesim.rng import Streams
from livesim.world import (
    V_BENIGN,
    Sessions,
    World,
    build_world,
    is_live,
    live_schedule,
    online_hours,
    sessions_for_day,
)

__all__ = ["CoreEngine", "RunResult", "run_core"]

# The day's hours against creators, for is_live's [24, creators] mask; int8 like the start hours,
# so that the comparisons stay in int8.
_HOUR_COLUMN = np.arange(24, dtype=np.int8)[:, None]


class CoreEngine:
    """Steps one run of the model with numpy arrays.

    Parameters
    ----------
    params
        Validated parameters; ``params.seed`` drives every random stream.
    """

    def __init__(self, params: Params) -> None:
        kernels.load()  # compiled settlement loops, if numba is there: built now, not in the run
        self.params = params
        self.streams = Streams(params.seed)
        self.world: World = build_world(params, self.streams)
        self.platform = Platform(params, self.world, self.streams)
        self.streams.prepare("day", "adversaries")  # the streams re-seeded each day
        v = self.world.viewers
        # Viewers who never gift change no outcome by watching: the core only counts their hours.
        self.gifter_p_online = v.p_online[v.gifter_ids]
        self.gifter_slots = np.arange(v.gifter_ids.size)
        watchers = np.ones(v.n, bool)
        watchers[v.gifter_ids] = False
        self.watcher_p_online = v.p_online[watchers & (v.role == V_BENIGN)]

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
        self.platform.run_off(range(p.days, p.days + runoff_days(p)))
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
        hours = p.population.session_hours
        # One stream for the day: the schedule's draws come first and their number never
        # depends on the policy, so the intents' draws that follow stay paired across policies.
        rng = self.streams.get("day", day, reuse=True)
        gifting = sessions_for_day(rng, self.gifter_p_online, self.gifter_slots, hours)
        online = gifting.viewer.size + online_hours(rng, self.watcher_p_online, hours)
        live_from = live_schedule(rng, c.live_prob)
        plat.adv.start_day(day, self.streams)
        # Actioned creators stay on the schedule (their gifts are blocked), so that who
        # watches what does not shift with the policy: paired runs stay paired.
        live_by_hour = is_live(live_from, _HOUR_COLUMN, p.population.live_hours)
        organic = self._organic_intents(gifting, live_by_hour, plat.creator_weights(), rng)
        return GiftBatch.merge_by_hour([organic, plat.adv.intents(live_from)]), online

    def _organic_intents(self, gifting: Sessions, live_by_hour: np.ndarray,
                         weights: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> GiftBatch:
        """Intents of gifters online today (``gifting`` rows are gifter slots, by hour)."""
        p, v, c = self.params, self.world.viewers, self.world.creators
        slot, hour = gifting.viewer, gifting.hour
        watching = StreamChoice(live_by_hour, *weights).pick(rng.random(slot.size), rng.random(slot.size), hour)
        favourites = v.favourites[slot]
        target = gift_target(rng.random(slot.size), p.population.loyalty, favourites,
                             live_by_hour[hour[:, None], favourites], watching)
        gift_value = v.gift_value[slot]
        rate = gift_rate(p, v.spend_rate[slot], gift_value, c.role[np.maximum(target, 0)])
        intent = gift_amount(rng, rate, gift_value, target)
        keep = intent > 0
        return GiftBatch(v.gifter_ids[slot[keep]], target[keep], intent[keep], hour=hour[keep])


def run_core(params: Params, progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run one simulation on the vectorized engine."""
    return CoreEngine(params).run(progress)
