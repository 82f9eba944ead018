"""Scaling study: how the engines' cost grows with agents and days, and what state costs in memory.

Regenerates ``results/benchmarks/`` (scaling.csv, scaling.md, scaling.png)::

    .venv/bin/python sim/scaling_study.py            # full study (a few minutes)
    .venv/bin/python sim/scaling_study.py --quick    # a smaller grid, for a smoke check

Every figure is measured here, on the machine that runs it; the markdown names that machine.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from test_bench_core import scenario  # noqa: E402  (the benchmark's scenario: one definition)

from livesim.core import CoreEngine  # noqa: E402

OUT = ROOT / "results" / "benchmarks"
COMPARISON_RUNS = 31  # interleaved pairs at 20,000 viewers: a core run is ~4 ms, so its timing is noisy


def time_core(viewers: int, days: int, creators: int | None = None) -> dict[str, float]:
    params = scenario(viewers).replace(days=days)
    if creators is not None:
        params = params.replace(**{"population.creators": creators})
    gc.collect()  # so that no run pays for collecting the previous run's garbage
    start = time.perf_counter()
    engine = CoreEngine(params)
    build = time.perf_counter() - start
    metrics = engine.run().metrics
    return {"engine": "core", "viewers": viewers, "creators": params.population.creators, "days": days,
            "build_seconds": build, "sim_seconds": metrics["perf.sim_seconds"],
            "agent_steps_per_second": metrics["perf.agent_steps_per_second"]}


def peak_bytes_per_agent(viewers: int, days: int) -> float:
    params = scenario(viewers).replace(days=days)
    tracemalloc.start()
    CoreEngine(params).run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (viewers + params.population.creators)


def time_mesa(viewers: int, creators: int, days: int) -> dict[str, float]:
    from livesim.model import run_mesa  # mesa only on this path

    params = scenario(viewers).replace(**{"days": days, "population.creators": creators, "engine": "mesa"})
    gc.collect()
    start = time.perf_counter()
    metrics = run_mesa(params).metrics
    total = time.perf_counter() - start
    return {"engine": "mesa", "viewers": viewers, "creators": creators, "days": days,
            "build_seconds": total - metrics["perf.sim_seconds"], "sim_seconds": metrics["perf.sim_seconds"],
            "agent_steps_per_second": metrics["perf.agent_steps_per_second"]}


def linear_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares y = a + b·x; return (a, b, R²)."""
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    r2 = 1 - resid.var() / y.var()
    return float(a), float(b), float(r2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller grid (seconds, not minutes)")
    parser.add_argument("--skip-mesa", action="store_true", help="leave out the Mesa comparison")
    args = parser.parse_args()

    viewer_grid = [10_000, 100_000, 300_000] if args.quick else [10_000, 100_000, 300_000, 1_000_000]
    day_grid = [3, 10] if args.quick else [3, 10, 30]
    rows = []
    for viewers in viewer_grid:
        for days in day_grid:
            row = time_core(viewers, days)
            rows.append(row)
            print(f"core {viewers:>9,} viewers × {days:>2} days: {row['sim_seconds']:7.2f} s, "
                  f"{row['agent_steps_per_second']:.3g} agent-steps/s", flush=True)
    comparison = []
    ratios: list[tuple[int, int, int, float, float, float, int, float]] = []
    if not args.skip_mesa:
        # One run is a few milliseconds for the core, so each engine's figure is the median of
        # several runs (same seed, same scenario), interleaved so both see the same machine state.
        # 20,000 viewers is the yardstick; the larger worlds show how the ratio grows.
        for viewers, creators, runs_each in ((20_000, 400, COMPARISON_RUNS), (40_000, 800, 5),
                                             (100_000, 2_000, 3)):
            if args.quick and viewers > 20_000:
                continue
            runs: dict[str, list[dict[str, float]]] = {"core": [], "mesa": []}
            for _ in range(runs_each):
                runs["core"].append(time_core(viewers, 3, creators=creators))
                runs["mesa"].append(time_mesa(viewers, creators, 3))
            medians = {}
            for engine, engine_runs in runs.items():
                row = sorted(engine_runs, key=lambda r: r["sim_seconds"])[len(engine_runs) // 2]
                comparison.append(row)
                medians[engine] = row["agent_steps_per_second"]
                print(f"{engine} {viewers:,} viewers × 3 days (median of {runs_each}): {row['sim_seconds']:.4f} s, "
                      f"{row['agent_steps_per_second']:.3g} agent-steps/s", flush=True)
            pair = np.array([c["agent_steps_per_second"] / m["agent_steps_per_second"]
                             for c, m in zip(runs["core"], runs["mesa"], strict=True)])
            # The headline is the median of the pairs' ratios: each pair ran under one machine state.
            ratios.append((viewers, creators, runs_each, float(np.median(pair)),
                           *np.percentile(pair, [25, 75]).tolist(), int((pair >= 100).sum()),
                           medians["core"] / medians["mesa"]))
    mem_viewers = 300_000 if args.quick else 1_000_000
    bytes_per_agent = peak_bytes_per_agent(mem_viewers, 3)
    print(f"peak traced memory: {bytes_per_agent:.0f} bytes per agent at {mem_viewers:,} viewers", flush=True)

    OUT.mkdir(parents=True, exist_ok=True)
    fields = ["engine", "viewers", "creators", "days", "build_seconds", "sim_seconds", "agent_steps_per_second"]
    with (OUT / "scaling.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows + comparison)

    longest = max(day_grid)
    by_viewers = [r for r in rows if r["days"] == longest]
    a_v, b_v, r2_v = linear_fit(np.array([r["viewers"] for r in by_viewers], float),
                                np.array([r["sim_seconds"] for r in by_viewers]))
    biggest = max(viewer_grid)
    by_days = [r for r in rows if r["viewers"] == biggest]
    a_d, b_d, r2_d = linear_fit(np.array([r["days"] for r in by_days], float),
                                np.array([r["sim_seconds"] for r in by_days]))

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"
    lines = [
        "# livesim scaling study", "",
        f"Measured by `sim/scaling_study.py{' --quick' if args.quick else ''}` on {machine}, "
        f"{time.strftime('%Y-%m-%d')}. Scenario: the default mix (`tests/benchmarks/test_bench_core.py::scenario`), "
        "creators = viewers / 50. `sim_seconds` is the simulation loop only; an agent-step is one agent "
        "(viewer or creator) through one hourly tick.", "",
        "| engine | viewers | creators | days | sim seconds | agent-steps/s |", "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['engine']} | {r['viewers']:,} | {r['creators']:,} | {r['days']} | "
                     f"{r['sim_seconds']:.3f} | {r['agent_steps_per_second']:.3g} |")
    if comparison:
        lines += ["", "Core against Mesa on the same scenario: each engine's median of interleaved runs "
                  "(garbage collected before each run).", "",
                  "| engine | viewers | creators | days | sim seconds | agent-steps/s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in comparison:
            lines.append(f"| {r['engine']} | {r['viewers']:,} | {r['creators']:,} | {r['days']} | "
                         f"{r['sim_seconds']:.4f} | {r['agent_steps_per_second']:.3g} |")
    lines += ["",
              f"* Linear in viewers ({longest} days): sim_seconds ≈ {a_v:.3f} + {b_v * 1e6:.3f} × (viewers / 10⁶), R² = {r2_v:.4f}.",
              f"* Linear in days ({biggest:,} viewers): sim_seconds ≈ {a_d:.3f} + {b_d:.3f} × days, R² = {r2_d:.4f}.",
              f"* Peak traced memory (tracemalloc, build + 3-day run) at {mem_viewers:,} viewers: "
              f"{bytes_per_agent:.0f} bytes per agent."]
    for viewers, creators, runs_each, ratio, q1, q3, at_100, of_medians in ratios:
        lines.append(f"* Core vs Mesa on the same scenario ({viewers:,} viewers, {creators:,} creators, 3 days; "
                     f"{runs_each} interleaved pairs of runs): the core does {ratio:,.0f}× the Mesa engine's "
                     f"agent-steps per second (the median of the pairs' ratios; interquartile range "
                     f"{q1:,.0f}–{q3:,.0f}×; {at_100} of {runs_each} pairs at 100× or more). The ratio of the "
                     f"engines' median times above is {of_medians:,.0f}×.")
    (OUT / "scaling.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for days in day_grid:
        sel = [r for r in rows if r["days"] == days]
        axes[0].plot([r["viewers"] / 1e6 for r in sel], [r["sim_seconds"] for r in sel], "o-", label=f"{days} days")
    axes[0].set(xlabel="viewers (millions)", ylabel="simulation time (s)", title="Core: time vs viewers")
    axes[0].legend()
    for viewers in viewer_grid:
        sel = [r for r in rows if r["viewers"] == viewers]
        axes[1].plot([r["days"] for r in sel], [r["sim_seconds"] for r in sel], "o-", label=f"{viewers:,} viewers")
    axes[1].set(xlabel="days simulated", ylabel="simulation time (s)", title="Core: time vs days")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(OUT / "scaling.png", dpi=110)
    print(f"wrote {OUT / 'scaling.md'}")


if __name__ == "__main__":
    main()
