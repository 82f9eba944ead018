"""The configuration schema: every parameter livesim reads, its default, unit, range and source.

The dataclasses here are the single definition of the parameters. Hydra registers them as
structured configs (see ``livesim.cli``); the engines receive a validated :class:`Params`.
Ranges live in each field's metadata so that :func:`validate` can name the key and what is
allowed in one sentence.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = [
    "ActorsParams",
    "BotParams",
    "CardFraudParams",
    "ConfigError",
    "DetectionParams",
    "EconomyParams",
    "MinorParams",
    "Params",
    "PolicyParams",
    "PopulationParams",
    "RingParams",
    "ViolatingParams",
    "check_value",
    "leaf_fields",
    "params_from_dict",
    "unknown_key_error",
    "validate",
]

ENGINES = ("core", "mesa")


class ConfigError(ValueError):
    """A user-facing configuration error: one paragraph naming the key and what is allowed.

    ``key`` is the dotted key the error is about, when there is one (so that a caller can say
    where that key was set).
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _p(default: Any, lo: float | None = None, hi: float | None = None, *, help: str,
       choices: tuple[str, ...] | None = None, integer: bool = False, nullable: bool = False,
       lo_open: bool = False, hi_open: bool = False) -> Any:
    """Declare a field with its allowed range and a short description for error messages."""
    return field(default=default, metadata={
        "lo": lo, "hi": hi, "help": help, "choices": choices, "integer": integer,
        "nullable": nullable, "lo_open": lo_open, "hi_open": hi_open,
    })


@dataclass
class PopulationParams:
    """Who is on the platform: counts, audiences, schedules, gifting propensity."""

    viewers: int = _p(100_000, 1, 50_000_000, integer=True, help="number of viewer accounts")
    creators: int = _p(2_000, 1, 5_000_000, integer=True, help="number of creator accounts")
    # DOMAIN "tail shape": lognormal fits Twitch incomes as well as a power law; family is a lever.
    audience_family: str = _p("lognormal", choices=("lognormal", "pareto"),
                              help="distribution family of creator audience sizes")
    # DOMAIN "viewing concentration": top 100 of 10k channels ≈ 20 % of hours → sigma ≈ 1.8.
    audience_sigma: float = _p(1.8, 0.0, 5.0, help="lognormal sigma of creator audience sizes")
    audience_pareto_alpha: float = _p(1.2, 0.1, 10.0, lo_open=True,
                                      help="Pareto tail index of creator audience sizes")
    # DOMAIN "creator audience and stream lifetime": daily cycles; hours per live session.
    live_days_per_week: float = _p(4.0, 0.0, 7.0, help="days a week a creator goes live")
    live_hours: int = _p(3, 1, 24, integer=True, help="length of a live session in hours")
    viewer_days_per_week: float = _p(3.0, 0.0, 7.0, help="mean days a week a viewer comes online")
    session_hours: int = _p(2, 1, 24, integer=True, help="length of a viewing session in hours")
    # DOMAIN "share of monthly users who pay for live gifts": Momo Q2 2017 ≈ 4.5 %.
    gifter_share: float = _p(0.045, 0.0, 1.0, help="share of viewers who ever gift")
    # DOMAIN "concentration": 77 % of viewers gift only to their top-3 creators (Tu et al. 2018).
    favourites: int = _p(3, 1, 50, integer=True, help="favourite creators per gifter")
    loyalty: float = _p(0.77, 0.0, 1.0,
                        help="probability a gifter watches a live favourite rather than browsing")
    account_age_mean_days: float = _p(400.0, 0.0, 10_000.0,
                                      help="mean account age at the start of the run (days)")
    # TikTok: 1,000 followers to go LIVE; followers scale with audience.
    followers_per_audience_unit: float = _p(2_000.0, 0.0, 1e9,
                                            help="followers per unit of audience weight")


@dataclass
class EconomyParams:
    """How money moves: coin price, gift split, spend sizes, payouts."""

    # DOMAIN "How money moves": 70 coins ≈ $0.99 → $0.0141 a coin.
    coin_price: float = _p(0.99 / 70, 0.0, 1e6, lo_open=True, help="price of one coin (currency units)")
    coin_pack: int = _p(70, 1, 10_000_000, integer=True,
                        help="coins per purchase pack (purchases are whole packs)")
    # DOMAIN "creator's share of gift value" ≈ 0.3–0.5: the platform keeps 0.5–0.7.
    platform_share: float = _p(0.5, 0.0, 1.0, help="platform's share of every gift")
    # DOMAIN "spend per paying user" ≈ $63/quarter (Momo Q2 2017) → $21 a month.
    gifter_monthly_spend: float = _p(21.0, 0.0, 1e9, help="mean monthly gift spend of a gifter (currency)")
    # DOMAIN "concentration": top 20 % send ≈ 97 % of value → a very heavy tail (sigma ≈ 2).
    spend_sigma: float = _p(2.0, 0.0, 5.0, help="lognormal sigma of gifter spend (whales)")
    gift_size_coins: float = _p(100.0, 1.0, 1e7, help="median gift size (coins)")
    gift_size_sigma: float = _p(1.0, 0.0, 5.0, help="lognormal sigma of gift size")
    # DOMAIN "Payout timing": TikTok's cash-out minimum has no official figure (blogs $10–100).
    min_payout: float = _p(10.0, 0.0, 1e9, help="smallest cleared balance paid out (currency)")


@dataclass
class DetectionParams:
    """The imperfect detector: binormal scores calibrated to an assumed prevalence."""

    # Assumption (no public figure): production fraud models report AUCs of 0.95–0.99.
    auc: float = _p(0.98, 0.5, 0.9999, lo_open=True,
                    help="detector AUC the score was calibrated with (its measured headline AUC)")
    auc_ring: float = _p(0.97, 0.5, 0.9999, help="true detector AUC for laundering accounts")
    auc_card_fraud: float = _p(0.985, 0.5, 0.9999, help="true detector AUC for stolen-card accounts")
    # DOMAIN "bots / sybils": chat-bot detection ≈ 0.97 precision/recall (SHERLOCK, ASONAM 2019).
    auc_bot: float = _p(0.99, 0.5, 0.9999, help="true detector AUC for bot accounts")
    auc_violating: float = _p(0.95, 0.5, 0.9999, help="true detector AUC for violating-stream creators")
    auc_minor: float = _p(0.93, 0.5, 0.9999, help="true detector AUC for minors past the age gate")
    persistence: float = _p(0.7, 0.0, 1.0,
                            help="share of score variance that is a persistent per-account part")
    # DOMAIN "Prevalence": PaySim ≈ 0.13 % of transactions, AMLworld ≈ 0.10 %; accounts that
    # transact are enriched for bad actors, so the detector assumes 0.5 % of scored accounts.
    assumed_prevalence: float = _p(0.005, 0.0, 1.0, lo_open=True, hi_open=True,
                                   help="bad-actor prevalence the score is calibrated for")
    # Rule signals as log-likelihood ratios added to the detector's (naive Bayes combination).
    rule_new_account_llr: float = _p(0.7, -10.0, 10.0, help="LLR added for accounts younger than new_account_days")
    rule_velocity_llr: float = _p(1.5, -10.0, 10.0, help="LLR added when today's gifts exceed velocity_multiple × the account's usual")
    velocity_multiple: float = _p(10.0, 1.0, 1e6, help="gift velocity against own history that fires the rule")
    velocity_floor: float = _p(20.0, 0.0, 1e12, help="daily gift value (currency) below which the velocity rule never fires")


@dataclass
class PolicyParams:
    """The levers a policy team sets. ``None`` switches a lever off."""

    name: str = _p("baseline", help="name of the policy (for reports)")
    risk_threshold: float | None = _p(0.8, 0.0, 1.0, nullable=True,
                                      help="calibrated risk at or above which the automated action fires")
    review_threshold: float | None = _p(0.5, 0.0, 1.0, nullable=True,
                                        help="calibrated risk at or above which an account goes to human review")
    action: str = _p("restrict", choices=("restrict", "suspend"),
                     help="automated action at risk_threshold")
    # DOMAIN "Payout timing": Twitch paid 45–60 days after the month; TikTok's hold has no figure.
    payout_hold_days: int = _p(7, 0, 365, integer=True, help="days a creator's earnings are held before payout")
    hold_on_review: bool = _p(True, help="freeze a creator's payouts while it waits in review")
    # DOMAIN "Spending caps elsewhere": YouTube Super Chat ≤ $500 a day per viewer.
    daily_gift_cap: float | None = _p(500.0, 0.0, 1e12, nullable=True,
                                      help="most a viewer may gift in a day (currency)")
    new_account_days: int = _p(7, 0, 3650, integer=True, help="age under which an account is new (days)")
    new_account_daily_cap: float | None = _p(50.0, 0.0, 1e12, nullable=True,
                                             help="daily gift cap for new accounts (currency)")
    min_account_age_days: int = _p(0, 0, 3650, integer=True, help="account age needed to gift (days)")
    # DOMAIN "Policy levers": hosts need 1,000 followers and must be 18+ (TikTok).
    creator_min_followers: int = _p(0, 0, 10**9, integer=True, help="followers a creator needs to receive gifts")
    creator_min_age_days: int = _p(0, 0, 3650, integer=True, help="creator account age needed to receive gifts (days)")
    age_gate_strength: float = _p(0.5, 0.0, 1.0,
                                  help="probability the age gate stops a minor from gifting")
    # DOMAIN "Review capacity rules": analysts see the top-k alerts a day.
    review_capacity: int = _p(200, 0, 10**9, integer=True, help="accounts human review can decide per day")
    reviewer_accuracy: float = _p(0.9, 0.0, 1.0, help="probability a reviewer decides an account correctly")
    # DOMAIN "Strikes (TikTok, Feb 2023)": strikes expire after 90 days.
    strikes_to_restrict: int = _p(1, 1, 100, integer=True, help="confirmed strikes that restrict an account")
    strikes_to_suspend: int = _p(3, 1, 100, integer=True, help="confirmed strikes that suspend an account")
    strike_expiry_days: int = _p(90, 1, 3650, integer=True, help="days after which a strike expires")
    appeal_rate: float = _p(0.3, 0.0, 1.0, help="share of actioned accounts that appeal")
    appeal_delay_days: int = _p(7, 0, 365, integer=True, help="days until an appeal is decided")
    fp_churn: float = _p(0.3, 0.0, 1.0, help="probability a wrongly actioned gifter stops gifting for good")


@dataclass
class RingParams:
    """Laundering rings: dirty money → coins → gifts to colluding creators → cash-out."""

    funder_share: float = _p(0.0, 0.0, 0.5, help="share of viewers who fund laundering rings")
    creators_per_ring: int = _p(2, 1, 1000, integer=True, help="colluding creators in each ring")
    funders_per_ring: int = _p(10, 1, 100_000, integer=True, help="funder accounts in each ring")
    pattern: str = _p("fan_in", choices=("fan_in", "fan_out", "layered"),
                      help="how funders route gifts to ring creators")
    # DOMAIN laundering: amounts look like whales (one gifter ≥ RMB 20 M a night at the extreme).
    daily_budget: float = _p(600.0, 0.0, 1e12, help="dirty money a funder moves per active day (currency)")


@dataclass
class CardFraudParams:
    """Stolen-card fraud: coins bought with stolen cards, gifted to accomplices, charged back."""

    fraudster_share: float = _p(0.0, 0.0, 0.5, help="share of viewers using stolen cards")
    fraudsters_per_accomplice: int = _p(5, 1, 100_000, integer=True,
                                        help="stolen-card accounts per accomplice creator")
    daily_budget: float = _p(150.0, 0.0, 1e12, help="stolen-card purchases per active day (currency)")
    # DOMAIN "stolen-card fraud": chargebacks up to 120 days after purchase.
    chargeback_rate: float = _p(0.9, 0.0, 1.0, help="share of stolen purchases the cardholder disputes")
    chargeback_delay_median_days: float = _p(30.0, 1.0, 540.0, help="median days from purchase to chargeback")
    chargeback_delay_max_days: int = _p(120, 1, 540, integer=True, help="latest chargeback (days after purchase)")


@dataclass
class BotParams:
    """Bot farms: sybil viewers that inflate boosted creators' audiences."""

    bot_share: float = _p(0.0, 0.0, 0.9, help="share of viewer accounts that are bots")
    bots_per_creator: int = _p(200, 1, 10**7, integer=True, help="bots boosting each boosted creator")
    # DOMAIN "herding": synthetic viewers draw real viewers (≈ +1 % tips per extra viewer).
    audience_boost_per_bot: float = _p(0.01, 0.0, 10.0,
                                       help="relative rise in a creator's audience weight per bot")


@dataclass
class MinorParams:
    """Minors: under-age viewers, some past the age gate, some spending."""

    # DOMAIN "minors": "hundreds of thousands" of 13–15-year-olds past LIVE age limits.
    share: float = _p(0.0, 0.0, 1.0, help="share of viewers who are minors")
    gifter_share: float = _p(0.06, 0.0, 1.0, help="share of minors who would gift if the gate let them")
    spend_multiplier: float = _p(0.5, 0.0, 100.0, help="minors' spend relative to adult gifters")


@dataclass
class ViolatingParams:
    """Creators whose streams break content rules and solicit gifts."""

    creator_share: float = _p(0.0, 0.0, 1.0, help="share of creators running violating streams")
    # DOMAIN "exploitative streams": camp streams earned up to $1,000/hour.
    gift_multiplier: float = _p(3.0, 0.0, 1000.0, help="how much more gifters spend on a violating stream")
    audience_multiplier: float = _p(2.0, 0.0, 1000.0, help="audience pull of a violating creator")


@dataclass
class ActorsParams:
    """Bad actors: one section per typology, and how strongly they adapt to the policy."""

    adaptation: float = _p(0.0, 0.0, 1.0, help="adaptation strength of bad actors (0 = naive, 1 = full)")
    evasion: float = _p(0.3, 0.0, 1.0,
                        help="share of its score separation a fully adaptive actor hides by structuring")
    replacement_delay_days: int = _p(3, 0, 365, integer=True,
                                     help="days before an adaptive actor replaces a banned account")
    reserve_accounts: float = _p(1.0, 0.0, 100.0,
                                 help="dormant spare accounts per active bad-actor account")
    ring: RingParams = field(default_factory=RingParams)
    card_fraud: CardFraudParams = field(default_factory=CardFraudParams)
    bots: BotParams = field(default_factory=BotParams)
    minors: MinorParams = field(default_factory=MinorParams)
    violating: ViolatingParams = field(default_factory=ViolatingParams)


@dataclass
class Params:
    """Everything a run needs: the frozen input of one simulation."""

    seed: int = _p(0, 0, 2**63 - 1, integer=True, help="the random seed (drives every stream)")
    days: int = _p(30, 1, 3650, integer=True, help="length of the run in days (a tick is an hour)")
    engine: str = _p("core", choices=ENGINES, help="simulation engine")
    scenario: str = _p("custom", help="name of the scenario (for reports)")
    population: PopulationParams = field(default_factory=PopulationParams)
    economy: EconomyParams = field(default_factory=EconomyParams)
    detection: DetectionParams = field(default_factory=DetectionParams)
    policy: PolicyParams = field(default_factory=PolicyParams)
    actors: ActorsParams = field(default_factory=ActorsParams)

    def to_dict(self) -> dict[str, Any]:
        """Return the parameters as plain nested dicts (JSON-ready)."""
        return dataclasses.asdict(self)

    def replace(self, **dotted: Any) -> Params:
        """Return a validated copy with dotted keys changed, e.g. ``replace(**{"policy.risk_threshold": 0.9})``."""
        data = self.to_dict()
        for key, value in dotted.items():
            node = data
            *parents, leaf = key.split(".")
            for part in parents:
                if part not in node or not isinstance(node[part], dict):
                    raise ConfigError(f"Unknown config key `{key}`.")
                node = node[part]
            if leaf not in node:
                raise ConfigError(f"Unknown config key `{key}`.")
            node[leaf] = value
        return params_from_dict(data)


def _bound(x: float) -> str:
    """A range bound as the user would type it: short (``5e+07``) when that is exact, else in full."""
    short = f"{x:g}"
    if float(short) == x or not float(x).is_integer():
        return short
    return str(int(x))  # 2**63 - 1 is 9223372036854775807, not 9.22337e+18


def _describe(f: dataclasses.Field) -> str:
    """What a field allows, as a phrase: ``a number in [0, 1] (or null to switch it off)``."""
    meta = f.metadata
    if meta.get("choices"):
        allowed = "one of " + ", ".join(repr(c) for c in meta["choices"])
    elif isinstance(f.default, bool):
        allowed = "true or false"
    elif isinstance(f.default, str):
        allowed = "any text"
    else:
        kind = "an integer" if meta.get("integer") else "a number"
        lo, hi = meta.get("lo"), meta.get("hi")
        if lo is not None and hi is not None:
            left = "(" if meta.get("lo_open") else "["
            right = ")" if meta.get("hi_open") else "]"
            allowed = f"{kind} in {left}{_bound(lo)}, {_bound(hi)}{right}"
        elif lo is not None:
            allowed = f"{kind} ≥ {_bound(lo)}"
        else:
            allowed = kind
    if meta.get("nullable"):
        allowed += " (or null to switch it off)"
    return allowed


def _show(value: Any) -> str:
    """A value as it is written on the command line or in YAML (``null``, ``true``, ``'high'``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


#: The words OmegaConf reads as booleans (``policy.hold_on_review=yes``), besides true and false.
_BOOL_WORDS = {"true": True, "yes": True, "on": True, "y": True, "1": True,
               "false": False, "no": False, "off": False, "n": False, "0": False}


def _check_value(key: str, value: Any, f: dataclasses.Field, *, exact: bool = False) -> Any:
    """Validate one value of field ``f``; return it as the schema types it.

    ``exact`` is for values as typed on the command line, which Hydra hands to OmegaConf as they
    are: there a float (``7.0``, ``1e6``) is refused for an integer key, as OmegaConf would refuse it.
    """
    meta = f.metadata
    allowed = _describe(f)
    what = meta.get("help", "")
    given = value

    def fail(hint: str = "") -> None:
        raise ConfigError(
            f"Invalid value {_show(given)} for `{key}` — {what}. Allowed: {allowed}.{hint} "
            f"Fix it on the command line (e.g. `livesim {key}=...`) or in the YAML file that sets it.",
            key=key,
        )

    if value is None:
        if meta.get("nullable"):
            return None
        fail()
    if meta.get("choices"):
        if value not in meta["choices"]:
            fail()
        return value
    default = f.default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        word = str(value).lower() if isinstance(value, (str, int)) else None
        if word not in _BOOL_WORDS:
            fail()
        return _BOOL_WORDS[word]
    if isinstance(default, str):
        if isinstance(value, (int, float)):  # `policy.name=5`: Hydra reads a number, the key is text
            return str(value).lower() if isinstance(value, bool) else str(value)
        if not isinstance(value, str):
            fail()
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail()
    if meta.get("integer"):
        if isinstance(value, float) and not value.is_integer():
            fail()
        typed_float = isinstance(value, float)
        value = int(value)
    else:
        typed_float = False
        value = float(value)
        if not math.isfinite(value):
            fail()
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (meta.get("lo_open") and value == lo)):
        fail()
    if hi is not None and (value > hi or (meta.get("hi_open") and value == hi)):
        fail()
    if typed_float and exact:  # in range, but OmegaConf will not take 7.0 for an integer
        fail(f" Write it as a whole number: `{key}={value}`.")
    return value


def _section(prefix: str) -> type | None:
    """The schema dataclass at a dotted section, or ``None`` if there is no such section.

    ``""`` is :class:`Params`, ``"actors.ring"`` is :class:`RingParams`.
    """
    cls: type = Params
    for part in filter(None, prefix.split(".")):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        f = fields.get(part)
        if f is None or f.default_factory is dataclasses.MISSING or not dataclasses.is_dataclass(f.default_factory):
            return None
        cls = f.default_factory  # type: ignore[assignment]
    return cls


def unknown_key_error(key: str) -> ConfigError:
    """The error for a dotted key that is not in the schema.

    It names the deepest section of the key that exists and every key allowed there, and
    suggests the nearest one when the key looks like a typo: ``Unknown config key
    `policy.risk_treshold`. Did you mean `policy.risk_threshold`? Keys allowed under `policy`: …``.
    """
    parts = key.split(".")
    depth = 0
    while depth < len(parts) - 1 and _section(".".join(parts[: depth + 1])) is not None:
        depth += 1
    section = ".".join(parts[:depth])
    cls = _section(section)
    assert cls is not None
    names = sorted(f.name for f in dataclasses.fields(cls))
    where = f"under `{section}`" if section else "at the top level"
    if parts[depth] in names:  # e.g. `policy.risk_threshold.x`: a value has no keys under it
        value_key = ".".join(parts[: depth + 1])
        return ConfigError(f"Unknown config key `{key}`: `{value_key}` is a single value, with no keys "
                           f"under it.", key=key)
    guess = difflib.get_close_matches(parts[depth], names, n=1, cutoff=0.7)
    hint = ""
    if guess:
        fixed = ".".join([*parts[:depth], guess[0], *parts[depth + 1:]])
        hint = f" Did you mean `{fixed}`?"
    return ConfigError(f"Unknown config key `{key}`.{hint} Keys allowed {where}: {', '.join(names)}.",
                       key=key)


def _build(cls: type, data: dict[str, Any], prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"`{prefix.rstrip('.')}` must be a mapping of keys to values, got {data!r}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise unknown_key_error(f"{prefix}{unknown[0]}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            continue
        value = data[name]
        if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
            kwargs[name] = _build(f.default_factory, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _check_value(f"{prefix}{name}", value, f)
    return cls(**kwargs)


@cache
def leaf_fields() -> dict[str, dataclasses.Field]:
    """Every leaf of :class:`Params` by dotted key (``"population.viewers"``), in schema order."""
    leaves: dict[str, dataclasses.Field] = {}

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            if f.default_factory is not dataclasses.MISSING and dataclasses.is_dataclass(f.default_factory):
                walk(f.default_factory, f"{prefix}{f.name}.")
            else:
                leaves[f"{prefix}{f.name}"] = f

    walk(Params, "")
    return leaves


def check_value(key: str, value: Any) -> Any:
    """Validate one dotted key and a value as typed on the command line; return it as the schema types it.

    Stricter than :func:`params_from_dict` in one way, as OmegaConf is with command-line values: a
    float (``days=7.0``) is refused for an integer key. Returns ``None`` silently for keys that are
    not leaves of :class:`Params` (config groups such as ``policy`` or ``scenario``, or Hydra's own
    keys), which Hydra checks itself.
    """
    f = leaf_fields().get(key)
    return None if f is None else _check_value(key, value, f, exact=True)


def params_from_dict(data: dict[str, Any]) -> Params:
    """Build and validate :class:`Params` from nested dicts (e.g. a resolved Hydra config).

    Keys that belong to Hydra itself (``hydra``) are ignored. Raises :class:`ConfigError`
    naming the first bad key and what it allows.
    """
    data = {k: v for k, v in data.items() if k != "hydra"}
    params = _build(Params, data, "")
    validate(params)
    return params


def validate(params: Params) -> Params:
    """Check cross-field rules that single-field ranges cannot express; return ``params``."""
    # review_threshold ≥ risk_threshold is allowed: the review band is then empty, so sweeping
    # risk_threshold below the review threshold never fails half-way through a sweep.
    pol = params.policy
    if pol.strikes_to_suspend < pol.strikes_to_restrict:
        raise ConfigError(
            "`policy.strikes_to_suspend` must be ≥ `policy.strikes_to_restrict` "
            f"(got {pol.strikes_to_suspend} < {pol.strikes_to_restrict})."
        )
    act = params.actors
    bad_share = (act.ring.funder_share + act.card_fraud.fraudster_share + act.bots.bot_share)
    if bad_share * (1 + act.reserve_accounts) >= 0.95:
        raise ConfigError(
            "Bad-actor viewer shares (`actors.ring.funder_share` + `actors.card_fraud.fraudster_share` + "
            f"`actors.bots.bot_share`) times (1 + `actors.reserve_accounts`) is {bad_share * (1 + act.reserve_accounts):.3f}; "
            "allowed: below 0.95, so that benign viewers remain."
        )
    if act.ring.funder_share > 0 and params.population.creators < 2:
        raise ConfigError("Laundering rings need at least 2 creators (`population.creators`).")
    return params
