"""Speed of the vectorized core (pytest-benchmark).

The default test run executes each case once, untimed, as a smoke test; time them with
``./dev bench`` (``pytest tests/benchmarks --benchmark-enable``). The reported figure that
matters is ``agent_steps_per_second`` in each case's extra info: agents × hourly ticks divided
by the simulation's own time (no start-up), the definition every engine shares.
"""

import pytest

from livesim import kernels
from livesim.core import CoreEngine
from livesim.params import Params

DAYS = 3
kernels.load()  # the timed functions build engines: compile livesim's loops before any round (test_bench_engines too)


def scenario(viewers: int) -> Params:
    """The default scenario (baseline_mix actors, baseline policy) at ``viewers`` scale."""
    return Params().replace(**{
        "days": DAYS, "population.viewers": viewers, "population.creators": max(viewers // 50, 10),
        "actors.adaptation": 0.2, "actors.ring.funder_share": 0.0001, "actors.ring.daily_budget": 150.0,
        "actors.card_fraud.fraudster_share": 0.0002, "actors.bots.bot_share": 0.004,
        "actors.minors.share": 0.05, "actors.violating.creator_share": 0.01,
    })


@pytest.mark.parametrize("viewers", [10_000, 100_000, 1_000_000], ids=["10k", "100k", "1M"])
def test_core_run(benchmark, viewers):
    params = scenario(viewers)
    results = []

    def run():
        results.append(CoreEngine(params).run().metrics)

    rounds = 3 if viewers >= 1_000_000 else 5
    benchmark.pedantic(run, rounds=rounds, iterations=1)
    m = results[-1]
    assert m["ledger.imbalance"] == 0.0 and m["revenue.gross"] > 0
    benchmark.extra_info["agents"] = viewers + params.population.creators
    benchmark.extra_info["days"] = DAYS
    benchmark.extra_info["agent_steps_per_second"] = max(r["perf.agent_steps_per_second"] for r in results)
    benchmark.extra_info["sim_seconds_median"] = sorted(r["perf.sim_seconds"] for r in results)[len(results) // 2]
