"""A conformance checker a scenario author runs on their own scenario (``livesim-check``).

Like Gymnasium's environment checker: it runs the configuration twice with the same seed and
once with another, and checks what every livesim run must satisfy — determinism, a balanced
ledger, the full set of metrics, sane signs, consistent enforcement counts, every bad-actor
typology the scenario asks for present at its population size, and harm (or enforcement against
bad actors) exactly where the scenario has bad actors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from livesim.metrics import METRICS
from livesim.params import Params
from livesim.runner import simulate
from livesim.world import actor_counts, missing_typologies

__all__ = ["Check", "check_scenario"]


@dataclass(frozen=True)
class Check:
    """One check's outcome: its name, whether it passed, and what was seen."""

    name: str
    passed: bool
    detail: str


def _has_bad_actors(params: Params) -> bool:
    """Whether the run's world holds any bad actor or minor (minors: any chance of one)."""
    return any(actor_counts(params)) or params.actors.minors.share > 0


def check_scenario(params: Params) -> list[Check]:
    """Run ``params`` three times (seed, seed again, seed + 1) and check the run contract.

    Parameters
    ----------
    params
        A validated configuration (any engine, any scenario).

    Returns
    -------
    list of Check
        One entry per check, in a fixed order.
    """
    first = simulate(params)
    again = simulate(params)
    other = simulate(params.replace(seed=params.seed + 1))
    m = first.metrics
    checks: list[Check] = []

    def check(name: str, passed: bool, detail: str) -> None:
        checks.append(Check(name, bool(passed), detail))

    def stable(metrics: dict) -> dict:
        return {k: v for k, v in metrics.items() if not k.startswith("perf.")}

    this, same_seed, other_seed = stable(m), stable(again.metrics), stable(other.metrics)
    differing = sorted(k for k in this if this[k] != same_seed[k])
    check("same seed, same results", not differing and first.daily == again.daily,
          "metrics and daily series identical" if not differing else f"differ: {', '.join(differing[:5])}")
    check("another seed, other results", other_seed != this,
          "seed + 1 changes the metrics" if other_seed != this
          else "seed + 1 gives identical metrics: is anything random happening?")
    check("ledger balances at every tick", m["ledger.imbalance"] == 0.0,
          f"largest reconciliation gap {m['ledger.imbalance']}")
    missing = sorted(set(METRICS) - set(m))
    check("every metric reported", not missing, "all keys present" if not missing else f"missing: {missing}")
    negative = sorted(k for k, v in m.items()
                      if k.startswith(("revenue.gross", "revenue.creator", "harm.")) and v is not None and v < -1e-6)
    check("money flows are not negative", not negative, "none negative" if not negative else f"negative: {negative}")
    acted = m["enforcement.true_positives"] + m["enforcement.false_positives"]
    check("true + false positives = actions", acted == m["enforcement.actions"],
          f"{m['enforcement.true_positives']} + {m['enforcement.false_positives']} vs {m['enforcement.actions']}")
    rates = [k for k in ("enforcement.precision", "enforcement.recall", "enforcement.fp_rate")
             if m[k] is not None and not (0.0 <= m[k] <= 1.0 and math.isfinite(m[k]))]
    check("rates within [0, 1]", not rates, "all within" if not rates else f"out of range: {rates}")
    missing_actors = missing_typologies(params)
    check("every bad-actor typology asked for is present", not missing_actors,
          "; ".join(missing_actors) if missing_actors else "each share > 0 gives at least one account")
    if _has_bad_actors(params):
        check("bad actors cause harm", m["harm.total"] + m["harm.bot_diverted_gifts"] > 0
              or m["enforcement.true_positives"] > 0,
              f"harm.total {m['harm.total']:.2f}, bot-diverted {m['harm.bot_diverted_gifts']:.2f}, "
              f"true positives {m['enforcement.true_positives']}")
    else:
        check("no bad actors, no harm", m["harm.total"] == 0 and m["enforcement.true_positives"] == 0,
              f"harm.total {m['harm.total']}, true positives {m['enforcement.true_positives']}")
    check("gifts happen", m["revenue.gross"] > 0, f"revenue.gross {m['revenue.gross']:.2f}")
    return checks
