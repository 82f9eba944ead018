"""The population: creators and viewers as arrays (one row per account), roles included.

Everything here is drawn once, before the first tick, from the ``population`` stream, so every
policy run with the same seed starts from the same world. Both engines build their agents from
:func:`build_world`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from livesim.params import Params
from livesim.rng import Streams

__all__ = [
    "C_ACCOMPLICE", "C_BENIGN", "C_BOOSTED", "C_RING", "C_VIOLATING", "CREATOR_ROLES",
    "NOT_BORN", "RESERVED", "V_BENIGN", "V_BOT", "V_FRAUD", "V_RING", "VIEWER_ROLES",
    "ActorCounts", "Creators", "Sessions", "Viewers", "World", "actor_counts", "build_world", "hour_weights",
    "is_live", "live_schedule", "missing_typologies", "online_hours", "sessions_for_day", "start_hours",
]

# Viewer roles (int8 codes). Minors are benign viewers with ``is_minor`` set.
V_BENIGN, V_RING, V_FRAUD, V_BOT = 0, 1, 2, 3
NOT_BORN = np.float32(1e9)  # born_day of a dormant reserve account
RESERVED = np.float32(2e9)  # born_day of a reserve account promised to replace a banned one
VIEWER_ROLES = {V_BENIGN: "benign", V_RING: "ring_funder", V_FRAUD: "card_fraudster", V_BOT: "bot"}
# Creator roles.
C_BENIGN, C_RING, C_ACCOMPLICE, C_VIOLATING, C_BOOSTED = 0, 1, 2, 3, 4
CREATOR_ROLES = {C_BENIGN: "benign", C_RING: "ring_creator", C_ACCOMPLICE: "fraud_accomplice",
                 C_VIOLATING: "violating", C_BOOSTED: "bot_boosted"}


def hour_weights() -> np.ndarray:
    """Relative chance that a session starts at each hour of the day (evening peak, night trough)."""
    hours = np.arange(24)
    w = 1.0 + 0.8 * np.cos(2 * np.pi * (hours - 20) / 24)
    return w / w.sum()


@dataclass
class Creators:
    """Creator accounts (struct of arrays)."""

    role: np.ndarray          # int8, C_* codes
    group: np.ndarray         # int32, ring id for ring creators, else -1
    audience: np.ndarray      # float64, audience weight (mean 1 over creators)
    followers: np.ndarray     # int64
    live_prob: np.ndarray     # float32, chance of going live on a given day
    born_day: np.ndarray      # float32, day the account was created (negative: before the run)
    detect_z: np.ndarray      # float32, persistent part of the detector score (standard normal)
    appeal_u: np.ndarray      # float32, uniform: the account appeals an action when < appeal_rate

    @property
    def n(self) -> int:
        """Number of creator accounts."""
        return int(self.role.size)


@dataclass
class Viewers:
    """Viewer accounts (struct of arrays); reserve bad-actor accounts start inactive."""

    role: np.ndarray          # int8, V_* codes
    group: np.ndarray         # int32, ring id (funders) or target creator (fraudsters, bots); -1
    active: np.ndarray        # bool, False for dormant reserve accounts
    adaptive: np.ndarray      # bool, bad actor that adapts to the policy
    is_minor: np.ndarray      # bool
    gate_u: np.ndarray        # float32, uniform: a minor is stopped by the age gate when < strength
    p_online: np.ndarray      # float32, chance of coming online on a given day
    born_day: np.ndarray      # float32, day the account was created
    detect_z: np.ndarray      # float32, persistent part of the detector score
    appeal_u: np.ndarray      # float32, uniform: appeals an action when < appeal_rate
    churn_u: np.ndarray       # float32, uniform: a wrongly actioned gifter churns when < fp_churn
    gifter_ids: np.ndarray    # int64, the viewers who gift (benign and minors)
    spend_rate: np.ndarray    # float64 per gifter: intended spend per online hour (currency)
    gift_value: np.ndarray    # float64 per gifter: value of one gift (currency)
    favourites: np.ndarray    # int64 [gifters, favourites]: creators a gifter returns to

    @property
    def n(self) -> int:
        """Number of viewer accounts (including dormant reserves)."""
        return int(self.role.size)


@dataclass
class World:
    """The population a run starts from."""

    creators: Creators
    viewers: Viewers
    n_rings: int

    @property
    def agents(self) -> int:
        """Agents counted in an agent-step: every creator and every viewer row."""
        return self.creators.n + self.viewers.n


class ActorCounts(NamedTuple):
    """How many accounts of each bad-actor typology a world has at the start (reserve accounts aside)."""

    ring_funders: int
    card_fraudsters: int
    bots: int
    violating_creators: int


def actor_counts(params: Params) -> ActorCounts:
    """The bad-actor accounts a world of ``params`` has: each typology's share of its population, rounded.

    Minors are not counted here: each viewer is one with chance ``actors.minors.share``.
    """
    act, nv = params.actors, params.population.viewers
    return ActorCounts(
        ring_funders=round(act.ring.funder_share * nv),
        card_fraudsters=round(act.card_fraud.fraudster_share * nv),
        bots=round(act.bots.bot_share * nv),
        violating_creators=round(act.violating.creator_share * params.population.creators),
    )


def missing_typologies(params: Params) -> list[str]:
    """One sentence per bad-actor typology the parameters ask for (share > 0) that rounds to no account.

    A small population can leave a scenario without its bad actors, and a run without them shows no
    harm for a reason that has nothing to do with the policy.
    """
    act, pop = params.actors, params.population
    counts = actor_counts(params)
    asked = [
        ("actors.ring.funder_share", act.ring.funder_share, "population.viewers", pop.viewers,
         counts.ring_funders, "laundering-ring funders"),
        ("actors.card_fraud.fraudster_share", act.card_fraud.fraudster_share, "population.viewers", pop.viewers,
         counts.card_fraudsters, "card fraudsters"),
        ("actors.bots.bot_share", act.bots.bot_share, "population.viewers", pop.viewers, counts.bots, "bots"),
        ("actors.violating.creator_share", act.violating.creator_share, "population.creators", pop.creators,
         counts.violating_creators, "violating creators"),
    ]
    return [f"{key}={share:g} × {size_key}={size:,} rounds to 0 {what}, so this run has none; "
            f"one needs {size_key} ≥ {_smallest_for_one(share):,} (or a larger share)"
            for key, share, size_key, size, count, what in asked if share > 0 and count == 0]


def _smallest_for_one(share: float) -> int:
    """The smallest population in which ``share`` rounds to at least one account."""
    n = max(math.ceil(0.5 / share), 1)
    while round(share * n) < 1:
        n += 1
    return n


def _audience(rng: np.random.Generator, params: Params, n: int) -> np.ndarray:
    pop = params.population
    if pop.audience_family == "pareto":
        w = rng.pareto(pop.audience_pareto_alpha, n) + 1.0
    else:
        w = rng.lognormal(0.0, pop.audience_sigma, n)
    return w / w.mean()


def _pick(rng: np.random.Generator, pool: np.ndarray, k: int) -> np.ndarray:
    k = min(k, pool.size)
    return rng.choice(pool, size=k, replace=False) if k > 0 else pool[:0]


def build_world(params: Params, streams: Streams) -> World:
    """Draw the population: audiences, schedules, gifters, roles and reserve accounts.

    Parameters
    ----------
    params
        Validated parameters.
    streams
        The run's random streams; only the ``population`` stream is used.
    """
    rng = streams.get("population")
    pop, eco, act = params.population, params.economy, params.actors
    nc, nv = pop.creators, pop.viewers

    # --- creators -------------------------------------------------------------------------
    audience = _audience(rng, params, nc)
    followers = np.round(audience * pop.followers_per_audience_unit * rng.lognormal(0, 0.3, nc)).astype(np.int64)
    c_role = np.zeros(nc, np.int8)
    c_group = np.full(nc, -1, np.int32)
    c_born = -rng.exponential(pop.account_age_mean_days, nc).astype(np.float32)

    counts = actor_counts(params)
    for missing in missing_typologies(params):
        warnings.warn(missing, UserWarning, stacklevel=2)
    n_funders, n_fraud, n_bots = counts.ring_funders, counts.card_fraudsters, counts.bots
    n_rings = int(np.ceil(n_funders / act.ring.funders_per_ring)) if n_funders else 0
    n_acc = int(np.ceil(n_fraud / act.card_fraud.fraudsters_per_accomplice)) if n_fraud else 0
    n_boosted = int(np.ceil(n_bots / act.bots.bots_per_creator)) if n_bots else 0

    # Colluding creators are small channels (DOMAIN: 40–50 viewers receiving outsized gifts).
    small = np.flatnonzero(audience <= np.median(audience))
    ring_creators = _pick(rng, small, n_rings * act.ring.creators_per_ring)
    c_role[ring_creators] = C_RING
    c_group[ring_creators] = np.arange(ring_creators.size) % max(n_rings, 1)
    free_small = small[c_role[small] == C_BENIGN]
    accomplices = _pick(rng, free_small, n_acc)
    c_role[accomplices] = C_ACCOMPLICE
    free = np.flatnonzero(c_role == C_BENIGN)
    boosted = _pick(rng, free, n_boosted)
    c_role[boosted] = C_BOOSTED
    free = np.flatnonzero(c_role == C_BENIGN)
    violating = _pick(rng, free, counts.violating_creators)
    c_role[violating] = C_VIOLATING
    audience[violating] *= act.violating.audience_multiplier
    # Bad creators look established enough to pass eligibility: they are bought or groomed accounts.
    bad_c = c_role != C_BENIGN
    followers[bad_c] = np.maximum(followers[bad_c], rng.integers(1_000, 3_000, int(bad_c.sum())))

    creators = Creators(
        role=c_role, group=c_group, audience=audience, followers=followers,
        live_prob=np.clip(rng.normal(pop.live_days_per_week / 7, 0.1, nc), 0.0, 1.0).astype(np.float32),
        born_day=c_born, detect_z=rng.standard_normal(nc).astype(np.float32),
        appeal_u=rng.random(nc, dtype=np.float32),
    )

    # --- viewers --------------------------------------------------------------------------
    v_role = np.zeros(nv, np.int8)
    v_group = np.full(nv, -1, np.int32)
    active = np.ones(nv, bool)
    born = -rng.exponential(pop.account_age_mean_days, nv).astype(np.float32)
    mean_p = pop.viewer_days_per_week / 7
    conc = 2.0
    p_online = (rng.beta(mean_p * conc, (1 - mean_p) * conc, nv) if 0 < mean_p < 1
                else np.full(nv, mean_p)).astype(np.float32)

    order = rng.permutation(nv)
    cursor = 0

    def take(count: int) -> np.ndarray:
        nonlocal cursor
        rows = order[cursor:cursor + count]
        cursor += count
        return rows

    ring_groups = np.arange(n_funders + int(round(n_funders * act.reserve_accounts))) % max(n_rings, 1)
    specs = [
        (V_RING, n_funders, ring_groups, 120.0),
        (V_FRAUD, n_fraud, None, 20.0),
        (V_BOT, n_bots, None, 30.0),
    ]
    for role, count, groups, age_mean in specs:
        if count == 0:
            continue
        n_reserve = int(round(count * act.reserve_accounts))
        rows = take(count + n_reserve)
        v_role[rows] = role
        if role == V_RING:
            v_group[rows] = groups
        elif role == V_FRAUD:
            v_group[rows] = accomplices[np.arange(rows.size) % max(accomplices.size, 1)] if accomplices.size else -1
        else:
            v_group[rows] = boosted[np.arange(rows.size) % max(boosted.size, 1)] if boosted.size else -1
        active[rows[count:]] = False
        born[rows] = -rng.exponential(age_mean, rows.size).astype(np.float32)
        born[rows[count:]] = NOT_BORN  # a reserve account is created when it is first used
    adaptive = (rng.random(nv) < act.adaptation) & (v_role != V_BENIGN)

    benign = v_role == V_BENIGN
    is_minor = benign & (rng.random(nv) < act.minors.share)
    u_gift = rng.random(nv)
    gifter = benign & np.where(is_minor, u_gift < act.minors.gifter_share, u_gift < pop.gifter_share)
    gifter_ids = np.flatnonzero(gifter)
    ng = gifter_ids.size
    monthly = rng.lognormal(np.log(max(eco.gifter_monthly_spend, 1e-12)) - eco.spend_sigma**2 / 2, eco.spend_sigma, ng)
    monthly[is_minor[gifter_ids]] *= act.minors.spend_multiplier
    online_hours_per_month = 30.0 * np.maximum(p_online[gifter_ids], 1e-3) * pop.session_hours
    spend_rate = monthly / online_hours_per_month
    gift_coins = np.maximum(1.0, np.round(rng.lognormal(np.log(eco.gift_size_coins), eco.gift_size_sigma, ng)))
    favourites = rng.choice(nc, size=(ng, pop.favourites), p=audience / audience.sum())

    viewers = Viewers(
        role=v_role, group=v_group, active=active, adaptive=adaptive, is_minor=is_minor,
        gate_u=rng.random(nv, dtype=np.float32), p_online=p_online, born_day=born,
        detect_z=rng.standard_normal(nv).astype(np.float32),
        appeal_u=rng.random(nv, dtype=np.float32), churn_u=rng.random(nv, dtype=np.float32),
        gifter_ids=gifter_ids, spend_rate=spend_rate, gift_value=gift_coins * eco.coin_price,
        favourites=favourites,
    )
    return World(creators=creators, viewers=viewers, n_rings=n_rings)


def live_schedule(rng: np.random.Generator, live_prob: np.ndarray) -> np.ndarray:
    """Hour each creator goes live today, ``-1`` for creators not live today.

    Draws one uniform per creator (live today?), then one start hour each by :func:`hour_weights`
    — always both, so the number of draws never depends on the outcome.
    """
    live_today = rng.random(live_prob.size) < live_prob
    start = start_hours(rng, live_prob.size)
    return np.where(live_today, start, -1)


_HOUR_P = hour_weights()
_HOUR_CDF = np.cumsum(_HOUR_P)
_HOURS = np.arange(24)


def start_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` start hours drawn by :func:`hour_weights` (inverse-CDF: one uniform each)."""
    return _HOUR_CDF.searchsorted(rng.random(n) * _HOUR_CDF[-1], side="right").astype(np.int8)


def is_live(live_from: np.ndarray, hour: int | np.ndarray, live_hours: int) -> np.ndarray:
    """Whether each creator is live in ``hour`` given today's start hours (see :func:`live_schedule`).

    ``hour`` may be an array that broadcasts against ``live_from``: a column of the 24 hours
    (``np.arange(24, dtype=np.int8)[:, None]``, int8 like ``live_from``) gives the ``[24, creators]``
    mask of a whole day.
    """
    return (live_from >= 0) & (live_from <= hour) & (hour < live_from + live_hours)


class Sessions(NamedTuple):
    """Who is online in each hour of a day, sorted by hour.

    The viewers online in hour ``h`` are ``viewer[offsets[h]:offsets[h + 1]]``; ``hour`` is each
    row's hour.
    """

    viewer: np.ndarray
    hour: np.ndarray
    offsets: np.ndarray


def sessions_for_day(rng: np.random.Generator, p_online: np.ndarray, candidates: np.ndarray,
                     session_hours: int) -> Sessions:
    """Draw who comes online today and when: one row per viewer and online hour, sorted by hour.

    ``p_online`` is each candidate's chance of coming online (aligned with ``candidates``).
    Sessions start by :func:`hour_weights` and end at midnight at the latest.
    """
    online = candidates[rng.random(candidates.size, dtype=np.float32) < p_online]
    # How many start in each hour, then who: a shuffle dealt out in that order is the same as
    # an independent start hour per viewer, and leaves the viewers grouped by start hour, so
    # those online in hour h (started in h - session_hours + 1 … h) are one contiguous slice.
    starting = rng.multinomial(online.size, _HOUR_P)
    dealt = rng.permutation(online)
    first = np.zeros(25, np.int64)
    starting.cumsum(out=first[1:])
    lo = first[np.maximum(_HOURS - session_hours + 1, 0)]  # the earliest start still online in each hour
    counts = first[1:] - lo
    offsets = np.zeros(25, np.int64)
    counts.cumsum(out=offsets[1:])
    rows = (lo - offsets[:-1]).repeat(counts) + np.arange(offsets[-1])
    return Sessions(dealt[rows], _HOURS.repeat(counts), offsets)


def online_hours(rng: np.random.Generator, p_online: np.ndarray, session_hours: int) -> int:
    """Viewer-hours online today of viewers with chances ``p_online``, drawn as in :func:`sessions_for_day`.

    For viewers whose sessions have no effect but being counted: it draws who comes online and
    how many start in each hour, not who starts when.
    """
    online = int(np.count_nonzero(rng.random(p_online.size, dtype=np.float32) < p_online))
    starting = rng.multinomial(online, _HOUR_P)
    return int(starting @ np.minimum(session_hours, 24 - _HOURS))
