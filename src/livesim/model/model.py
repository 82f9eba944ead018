"""The Mesa model: the hourly tick of :mod:`livesim.core`, stepped agent by agent.

One :meth:`LivesimModel.step` is one hour of an active day, through the same phases as the core:

1. creators go live (each :class:`~livesim.model.agents.CreatorAgent` steps);
2. the viewers online this hour step in random order: each joins a live stream by audience
   weight, and gifters form gift intents and send them;
3. bad actors send the intents the shared adversary rules planned for this hour;
4. the ledger is reconciled; at hour 23 the platform's day end runs (scoring, actions, review,
   appeals, adaptation, chargebacks, payouts).

After ``days × 24`` hourly steps, each further step is one run-off day (no new activity, holds
clear and late chargebacks land), and ``running`` turns False after the last one. Every gift is
settled through the shared :meth:`~livesim.platform.Platform.settle`, one agent's intent at a time.

Random numbers: the population comes from ``livesim.rng.Streams(seed)`` exactly as in the core,
so a seed gives the same world in both engines. Everything dynamic (sessions, schedules, gift
draws, day-end draws) comes from streams keyed apart from the core's, so the two engines share
distributions, not draws.
"""

from __future__ import annotations

import numbers
import random
import time
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import mesa
import numpy as np

from livesim.economy import StreamChoice
from livesim.metrics import METRICS
from livesim.model.agents import CreatorAgent, ViewerAgent
from livesim.params import ConfigError, Params, leaf_fields
from livesim.platform import Platform, RunResult, runoff_days
from livesim.policy import GiftBatch
from livesim.rng import Streams
from livesim.world import V_BENIGN, Sessions, build_world, sessions_for_day

__all__ = ["AGENT_RECORDS_LIMIT", "MESA_VERSION", "REPORTED_METRICS", "LivesimModel", "MesaStreams", "param_keys",
           "run_mesa"]

#: Metric keys collected every step by the model's DataCollector (all but the ``perf.*`` ones,
#: which only mean something for a finished run).
REPORTED_METRICS = tuple(k for k in METRICS if not k.startswith("perf."))

#: With ``collect="auto"``, agent data is collected only while agents × steps stays at or under
#: this many records (a record is one agent at one step, about 130 bytes: 5 M take ~650 MB).
AGENT_RECORDS_LIMIT = 5_000_000

_COLLECT = ("auto", "all", "model", "off")

_MAX_SEED = 2**63 - 1
#: The installed mesa's (major, minor) version.
MESA_VERSION = tuple(int(part) for part in mesa.__version__.split(".")[:2])
# Mesa before 3.5 keeps an integer given as `seed` for reset_randomizer(); given as `rng`, it keeps
# None (a reset then reseeds from the OS). 3.5 keeps an integer `rng` and deprecates `seed`. Both
# keywords seed the same streams.
_SEED_KEYWORD = "seed" if MESA_VERSION < (3, 5) else "rng"


class MesaStreams(Streams):
    """The Mesa engine's dynamic random streams: the core's stream names, keyed apart.

    Every stream is the one the core would get for ``"mesa." + name``, so no draw is shared with
    the core while every draw stays keyed by component, day and tick.
    """

    prefix = "mesa."


@cache
def param_keys() -> dict[str, str]:
    """Keyword names :class:`LivesimModel` accepts for parameters, mapped to dotted config keys.

    Every dotted key (``"population.viewers"``) maps to itself; a leaf name that is unique in the
    schema (``"viewers"``, ``"risk_threshold"``) is a short alias for its dotted key.
    """
    dotted = list(leaf_fields())
    leaves: dict[str, list[str]] = {}
    for key in dotted:
        leaves.setdefault(key.rsplit(".", 1)[-1], []).append(key)
    keys = {leaf: paths[0] for leaf, paths in leaves.items() if len(paths) == 1}
    keys.update({key: key for key in dotted})
    return keys


def _dotted(name: str) -> str:
    keys = param_keys()
    if name in keys:
        return keys[name]
    matches = sorted(k for k in keys if "." in k and k.rsplit(".", 1)[-1] == name)
    if matches:
        raise ConfigError(f"Keyword `{name}` is ambiguous; use one of {', '.join(matches)} "
                          f"(e.g. LivesimModel(**{{{matches[0]!r}: ...}})).")
    raise ConfigError(f"Unknown model parameter `{name}`. LivesimModel takes dotted config keys "
                      "(e.g. `population.viewers`) or their unique last part (e.g. `viewers`).")


class LivesimModel(mesa.Model):
    """The livestream gifting economy as a Mesa model (one step = one hour).

    Parameters
    ----------
    params
        Base parameters (default: ``Params()``). Keyword overrides are applied on top.
    seed, rng
        The run's seed (give at most one). An integer is the livesim seed: it drives the
        population (the same as the core's for that seed), every dynamic stream and Mesa's own
        ``model.random``/``model.rng``. A ``numpy.random.Generator`` (or another seed-like value)
        seeds Mesa, and the livesim seed is drawn from it. With neither, ``params.seed`` is used
        when ``params`` is given, else a fresh random seed (Mesa's convention, so that
        ``batch_run(..., iterations=n)`` gives ``n`` independent replications). The seed used
        is ``model.params.seed``.
    collect
        What ``self.datacollector`` collects at the start and after every step: ``"all"`` (model
        and agent reporters), ``"model"`` (model reporters only), ``"off"`` (nothing; the
        fastest, as :func:`run_mesa` uses) or ``"auto"`` (``"all"`` while agents × steps stays
        within :data:`AGENT_RECORDS_LIMIT`, else ``"model"`` with a warning). The chosen mode
        is ``model.collect``.
    **overrides
        Parameters by dotted config key or by unique last part, e.g.
        ``LivesimModel(**{"population.viewers": 2000})``,
        ``LivesimModel(viewers=2000, creators=40, risk_threshold=0.9, days=3)``.
        Keys that are not unique (``gifter_share``, ``daily_budget``) must be dotted.

    Attributes
    ----------
    params : Params
        The validated parameters of this run (``engine="mesa"``, ``seed`` the seed used).
    world : World
        The population arrays, shared with the platform.
    platform : Platform
        Money, enforcement and bad actors (the shared rules after an intent).
    creators, viewers : AgentSet
        All creator and viewer agents (``agents_by_type``); :attr:`creator_agents` and
        :attr:`viewer_agents` are the same agents as lists indexed by id.
    online : AgentSet
        Viewers online in the current hour.
    bad_actors : AgentSet
        Ring funders, card fraudsters and bots (including dormant reserve accounts).
    tick : int
        Steps done (the model's own counter: hours, then run-off days).
    day, hour_of_day : int
        The current day (0-based; run-off days follow the active ones) and hour.
    live : numpy.ndarray
        Boolean mask over creators live in the current hour.
    datacollector : mesa.DataCollector
        Model reporters: every metric in :data:`REPORTED_METRICS` (the run so far), ``seed``
        (livesim's seed of the run, to replay it), ``day``, ``hour``, ``viewers_online``,
        ``creators_live``. Agent reporters: ``kind`` (``"viewer"`` or ``"creator"``), ``role``,
        ``status``, ``coins`` (a viewer's unspent coins), ``earnings`` (a creator's share of every
        gift so far) and ``balance`` (what the platform holds for the agent now: a viewer's coins,
        a creator's earnings not yet paid out, after chargebacks). The platform's daily time series (the rows of
        ``timeseries.csv``) is ``model.platform.tally.daily``.

    Examples
    --------
    >>> model = LivesimModel(viewers=300, creators=10, days=1, seed=1)  # doctest: +SKIP
    >>> model.run_model()                                               # doctest: +SKIP
    >>> model.datacollector.get_model_vars_dataframe()["revenue.gross"].iloc[-1]  # doctest: +SKIP
    """

    def __init__(self, params: Params | None = None, *, seed: Any = None, rng: Any = None,
                 collect: str = "auto", **overrides: Any) -> None:
        if seed is not None and rng is not None:
            raise ValueError("Pass either `seed` or `rng` to LivesimModel, not both.")
        given = rng if rng is not None else seed
        if given is None and params is not None:
            given = params.seed
        if isinstance(given, numbers.Integral):
            given = int(given)
        if isinstance(given, int):
            super().__init__(**{_SEED_KEYWORD: given})
        else:
            super().__init__(rng=given)
        livesim_seed = given if isinstance(given, int) else int(self.rng.integers(_MAX_SEED))

        base = params if params is not None else Params()
        dotted = {_dotted(k): v for k, v in overrides.items()}
        if dotted.get("engine", "mesa") != "mesa":
            raise ConfigError(f"LivesimModel is the Mesa engine; got engine={dotted['engine']!r}.")
        dotted.update(seed=livesim_seed, engine="mesa")
        self.params: Params = base.replace(**dotted)
        if collect not in _COLLECT:
            raise ValueError(f"collect must be one of {', '.join(map(repr, _COLLECT))}; "
                             f"got {collect!r}.")

        p = self.params
        self.world = build_world(p, Streams(p.seed))  # the same population as the core's
        self.streams = MesaStreams(p.seed)
        self.platform = Platform(p, self.world, self.streams)
        self.streams.prepare("schedule", "shuffle", "tick", "adversaries")  # re-seeded each day or tick
        v, c = self.world.viewers, self.world.creators
        self.gifter_slot = np.full(v.n, -1, np.int64)
        self.gifter_slot[v.gifter_ids] = np.arange(v.gifter_ids.size)
        self.organic_ids = np.flatnonzero(v.role == V_BENIGN)
        self.organic_p_online = v.p_online[self.organic_ids]

        self.viewer_agents = [ViewerAgent(self, i) for i in range(v.n)]
        self.creator_agents = [CreatorAgent(self, i) for i in range(c.n)]
        self.viewers = self.agents_by_type[ViewerAgent]
        self.creators = self.agents_by_type[CreatorAgent]
        self.bad_actors = self.viewers.select(lambda a: not a.organic)

        self.n_runoff = runoff_days(p)
        self.tick = 0
        self.day = 0
        self.hour_of_day = 0
        self.live = np.zeros(c.n, bool)
        self.online = mesa.agent.AgentSet([], random=self.random)
        self._sessions: Sessions | None = None
        self._adversary_plan: GiftBatch | None = None
        self._metrics: dict[str, float | None] = {}
        self._metrics_tick = -1

        if collect == "auto":
            collections = self.active_hours + self.n_runoff + 1  # the initial state, then every step
            records = (v.n + c.n) * collections
            collect = "all" if records <= AGENT_RECORDS_LIMIT else "model"
            if collect == "model":
                warnings.warn(
                    f"LivesimModel collects model data only: agent data for {v.n + c.n:,} agents × "
                    f"{collections:,} steps would be {records:,} records "
                    f"(limit {AGENT_RECORDS_LIMIT:,}). Pass collect='all' to collect it anyway.",
                    stacklevel=2)
        self.collect: str = collect
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "seed": _livesim_seed,  # batch_run rows then say which run to replay
                "day": "day",
                "hour": "hour_of_day",
                "viewers_online": "viewers_online",
                "creators_live": "creators_live",
                **{key: _metric_reporter(key) for key in REPORTED_METRICS},
            },
            agent_reporters=({"kind": "kind", "role": "role", "status": "status", "coins": "coins",
                              "earnings": "earnings", "balance": "balance"}
                             if collect == "all" else None),
        )
        self.running = True
        if self.collect != "off":
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ reporters
    @property
    def active_hours(self) -> int:
        """Number of hourly steps before the run-off (``days × 24``)."""
        return 24 * self.params.days

    @property
    def in_runoff(self) -> bool:
        """Whether the active days are over (each further step is a run-off day)."""
        return self.tick >= self.active_hours

    @property
    def viewers_online(self) -> int:
        """Viewers online in the current hour."""
        return len(self.online)

    @property
    def creators_live(self) -> int:
        """Creators live in the current hour."""
        return int(self.live.sum())

    @property
    def metrics(self) -> dict[str, float | None]:
        """The run's metrics so far (``Platform.summary`` keys; ``perf.*`` mean nothing here)."""
        if self._metrics_tick != self.tick:
            self._metrics = self.platform.summary(0.0)
            self._metrics_tick = self.tick
        return self._metrics

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Advance one hour (or, after the active days, one run-off day); collect data."""
        if not self.running:
            return
        if self.in_runoff:
            self._runoff_day()
        else:
            self._hour()
        if self.collect != "off":
            self.datacollector.collect(self)

    def choose_stream(self, u_boost: float, u: float) -> int:
        """Creator a viewer with uniform draws ``u_boost`` and ``u`` watches this hour (``-1``: nobody is live).

        See :class:`~livesim.economy.StreamChoice` for what each draw decides.
        """
        return self.stream_choice.pick_one(u_boost, u, 0)

    def _start_day(self, day: int) -> None:
        p = self.params
        sched = self.streams.get("schedule", day, reuse=True)
        self._sessions = sessions_for_day(sched, self.organic_p_online, self.organic_ids,
                                          p.population.session_hours)
        self.creators.do("plan_day", sched)
        self.platform.adv.start_day(day, self.streams)
        self.weights = self.platform.creator_weights()
        live_from = np.array([agent.live_from for agent in self.creator_agents], np.int64)
        self._adversary_plan = self.platform.adv.intents(live_from)

    def _hour(self) -> None:
        day, hour = divmod(self.tick, 24)
        self.day, self.hour_of_day = day, hour
        if hour == 0:
            self._start_day(day)
        plat = self.platform

        # 1. Creators go live.
        self.creators.do("step")
        self.stream_choice = StreamChoice(self.live[None, :], *self.weights)

        # 2. Viewers online this hour join streams; gifters gift.
        self.online.do("leave")
        sessions = self._sessions
        online = sessions.viewer[sessions.offsets[hour]:sessions.offsets[hour + 1]]
        # Each hour shuffles with its own generator: how many numbers one hour's shuffles use
        # (the number of bad actors acting depends on the policy) must not move the next hour's
        # order, which decides which viewer gets which of the hour's draws (paired runs).
        shuffle = random.Random(int(self.streams.get("shuffle", self.tick, reuse=True).integers(2**63)))
        self.online = mesa.agent.AgentSet((self.viewer_agents[i] for i in online), random=shuffle)
        self.online.set("online", True)
        self.tick_rng = self.streams.get("tick", self.tick, reuse=True)
        self.online.shuffle_do("step")

        # 3. Bad actors act on the intents the shared adversary rules planned for this hour.
        plan = self._adversary_plan
        intents = plan.take(plan.hour == hour)
        acting = []
        for viewer, creator, value, stolen in zip(intents.viewer.tolist(), intents.creator.tolist(),
                                                  intents.intent.tolist(), intents.stolen.tolist(), strict=True):
            agent = self.viewer_agents[viewer]
            agent.intent = (creator, value, stolen)
            acting.append(agent)
        mesa.agent.AgentSet(acting, random=shuffle).shuffle_do("act")

        # 4. Books: the tally of the hour and the ledger check; the platform's day end at hour 23.
        plat.tally.viewers_online += len(self.online)
        plat.reconcile()
        self.tick += 1
        if hour == 23:
            plat.end_of_day(day, runoff=False)

    def _runoff_day(self) -> None:
        if self.tick == self.active_hours:  # first run-off day: everyone leaves
            self.online.do("leave")
            self.online = mesa.agent.AgentSet([], random=self.random)
            self.creators.do("go_offline")
        day = self.params.days + self.tick - self.active_hours
        self.day, self.hour_of_day = day, 0
        self.platform.run_off(range(day, day + 1))
        self.tick += 1
        if day == self.params.days + self.n_runoff - 1:
            self.running = False


def _livesim_seed(model: LivesimModel) -> int:
    return model.params.seed


def _metric_reporter(key: str):
    """A model reporter for one metric key (Mesa calls it with the model)."""

    def report(model: LivesimModel) -> float | None:
        return model.metrics[key]

    report.__name__ = f"report_{key.replace('.', '_')}"
    return report


def run_mesa(params: Params, progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run one simulation on the Mesa engine (the runner's ``engine=mesa``).

    Parameters
    ----------
    params
        Validated parameters; ``params.seed`` drives the population (as in the core) and the
        Mesa engine's own dynamic streams.
    progress
        Called after each active day with ``(days_done, days)``.

    Returns
    -------
    RunResult
        The flat metrics (``perf.sim_seconds`` times the stepping only, not building the model)
        and the daily time series.
    """
    model = LivesimModel(params, collect="off")
    start = time.perf_counter()
    while model.running:
        model.step()
        if progress is not None and model.tick <= model.active_hours and model.tick % 24 == 0:
            progress(model.tick // 24, params.days)
    seconds = time.perf_counter() - start
    return RunResult(metrics=model.platform.summary(seconds), daily=model.platform.tally.daily)
