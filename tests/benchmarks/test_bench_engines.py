"""Speed of the Mesa engine against the core on the same scenario, and of a sweep of small runs.

Time with ``./dev bench``. The figure to read is ``agent_steps_per_second`` in extra info
(agents × hourly ticks / simulation seconds — the one definition both engines report).
"""

import pytest
from test_bench_core import scenario

from livesim.core import CoreEngine
from livesim.runner import simulate

SAME = {"population.creators": 400, "days": 3}


@pytest.mark.parametrize("engine", ["core", "mesa"])
def test_engine_on_the_comparison_scenario(benchmark, engine):
    """20,000 viewers, 400 creators, 3 days — the issue's yardstick for core vs Mesa."""
    params = scenario(20_000).replace(engine=engine, **SAME)
    results = []
    benchmark.pedantic(lambda: results.append(simulate(params).metrics), rounds=3, iterations=1)
    assert results[-1]["ledger.imbalance"] == 0.0
    benchmark.extra_info["agent_steps_per_second"] = max(r["perf.agent_steps_per_second"] for r in results)


def test_mesa_at_10k_viewers(benchmark):
    params = scenario(10_000).replace(engine="mesa", days=3)
    results = []
    benchmark.pedantic(lambda: results.append(simulate(params).metrics), rounds=3, iterations=1)
    benchmark.extra_info["agent_steps_per_second"] = max(r["perf.agent_steps_per_second"] for r in results)


def test_sweep_of_many_small_runs(benchmark):
    """200 runs (20 threshold points × 10 seeds) of a 5,000-viewer, 7-day world, in one process."""
    points = [round(0.5 + 0.025 * i, 3) for i in range(20)]
    # The default mix's ring share rounds to no funder at 5,000 viewers: give the small world one.
    base = scenario(5_000).replace(**{"days": 7, "actors.ring.funder_share": 0.0002})

    def sweep():
        return [CoreEngine(base.replace(seed=s, **{"policy.risk_threshold": t})).run().metrics["revenue.gross"]
                for t in points for s in range(10)]

    gross = benchmark.pedantic(sweep, rounds=1, iterations=1)
    assert len(gross) == 200
    benchmark.extra_info["runs"] = 200
