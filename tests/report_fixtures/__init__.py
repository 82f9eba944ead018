"""Synthetic sweep directories for the report tests, written exactly as the contract describes.

Metrics follow a known function of the threshold (``TRUE``) plus a seed effect shared by every
point (common random numbers: a seed is a world, the same under every policy) plus small
per-run noise, so paired differences are far more precise than unpaired ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

LEVER = "policy.risk_threshold"

# threshold → true means. 0.8 is dominated by 0.7 (less net, more harm, more FPs).
TRUE: dict[float, dict[str, float]] = {
    0.5: {"net": 10_000.0, "harm": 500.0, "fp": 100.0, "fp_rate": 0.010},
    0.7: {"net": 11_000.0, "harm": 800.0, "fp": 60.0, "fp_rate": 0.006},
    0.8: {"net": 10_500.0, "harm": 900.0, "fp": 70.0, "fp_rate": 0.007},
    0.9: {"net": 12_000.0, "harm": 1_500.0, "fp": 30.0, "fp_rate": 0.003},
}
THRESHOLDS = tuple(TRUE)
SEEDS = range(5)
SEED_SD = {"net": 2_000.0, "harm": 50.0, "fp": 5.0, "fp_rate": 0.0005}
NOISE_SD = {"net": 20.0, "harm": 2.0, "fp": 0.2, "fp_rate": 0.00002}
DAYS = 5
COMMAND = "livesim -m policy.risk_threshold=0.5,0.7,0.8,0.9 'seed=range(0,5)'"


def metrics_for(threshold: float, seed: int) -> dict[str, float | None]:
    """The metrics of the run (threshold, seed): truth + shared seed effect + run noise."""
    seed_rng = np.random.default_rng([seed, 7])  # the same for every threshold
    run_rng = np.random.default_rng([seed, int(round(threshold * 1000))])
    v = {k: TRUE[threshold][k] + SEED_SD[k] * seed_rng.normal() + NOISE_SD[k] * run_rng.normal()
         for k in SEED_SD}
    return {
        "revenue.gross": 2 * v["net"],
        "revenue.platform_net": v["net"],
        "revenue.creator_earnings": v["net"],
        "revenue.legit_blocked": 10 * v["fp"],
        "harm.laundered": v["harm"] / 4,
        "harm.fraud_loss": v["harm"] / 4,
        "harm.minor_spend": v["harm"] / 4,
        "harm.violating_gifts": v["harm"] / 4,
        "harm.total": v["harm"],
        "enforcement.actions": 50 + v["fp"],
        "enforcement.true_positives": 50.0,
        "enforcement.false_positives": v["fp"],
        "enforcement.precision": 50 / (50 + v["fp"]),
        "enforcement.recall": None,
        "enforcement.fp_rate": v["fp_rate"],
        "review.backlog_max": 12.0,
        "ledger.imbalance": 0.0,
        "perf.sim_seconds": 0.5,
    }


def core_metrics(threshold: float, seed: int) -> dict[str, float | None]:
    """Only the outcomes the frontier and the recommendation use (fewer charts, faster tests)."""
    full = metrics_for(threshold, seed)
    return {k: full[k] for k in ("revenue.platform_net", "harm.total",
                                 "enforcement.false_positives", "enforcement.fp_rate")}


def write_run(run_dir: Path, overrides: list[str], seed: int,
              metrics: Mapping[str, float | None] | None, *, error: str | None = None,
              config: Mapping[str, object] | None = None, command: str = COMMAND) -> None:
    """Write one run directory; ``metrics=None`` makes an incomplete run (with error.txt)."""
    config = dict(config or {"seed": seed, "days": DAYS, "engine": "core",
                             "scenario": "default", "policy": {"risk_threshold": 0.8}})
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (run_dir / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    if metrics is None:
        if error is not None:
            (run_dir / "error.txt").write_text(error)
        return
    summary = {"metrics": dict(metrics), "config": config, "seed": seed, "version": "0.1.0",
               "overrides": overrides, "status": "complete", "command": command,
               "git_commit": "abc1234"}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    days = np.arange(1, DAYS + 1)
    daily = {"day": days}
    for key in ("revenue.gross", "revenue.platform_net", "harm.total", "enforcement.actions"):
        value = metrics.get(key) or 0.0
        daily[key] = np.full(DAYS, value / DAYS) * (1 + 0.1 * (days - 3))
    daily["review.backlog"] = days * 2.0
    pd.DataFrame(daily).to_csv(run_dir / "timeseries.csv", index=False)


def make_sweep(root: Path, thresholds: Iterable[float] = THRESHOLDS,
               seeds: Iterable[int] = SEEDS, *, text: Mapping[tuple[float, int], str] | None = None,
               skip: Iterable[tuple[float, int]] = (),
               fail: Mapping[tuple[float, int], str | None] | None = None,
               multirun: bool = True,
               metrics: Callable[[float, int], dict[str, float | None]] = metrics_for,
               ) -> pd.DataFrame:
    """Write a threshold × seed sweep under ``root``, one numbered directory per run.

    Parameters
    ----------
    text : how to spell a threshold in a given run's override (default ``repr``).
    skip : runs never created (only multirun.yaml knows about them).
    fail : runs created without summary.json; value = error.txt contents (None: no error.txt).
    metrics : (threshold, seed) → the run's metrics.

    Returns
    -------
    The complete runs' metrics: columns threshold, seed and every metric.
    """
    thresholds, seeds = list(thresholds), list(seeds)
    text, skip, fail = dict(text or {}), set(skip), dict(fail or {})
    rows, job = [], 0
    for t in thresholds:
        for s in seeds:
            if (t, s) in skip:
                continue
            overrides = [f"{LEVER}={text.get((t, s), repr(t))}", f"seed={s}"]
            if (t, s) in fail:
                write_run(root / str(job), overrides, s, None, error=fail[(t, s)])
            else:
                values = metrics(t, s)
                write_run(root / str(job), overrides, s, values)
                rows.append({"threshold": t, "seed": s, **values})
            job += 1
    if multirun:
        task = [f"{LEVER}={','.join(repr(t) for t in thresholds)}",
                f"seed={','.join(str(s) for s in seeds)}"]
        (root / "multirun.yaml").write_text(yaml.safe_dump(
            {"hydra": {"overrides": {"hydra": ["hydra.mode=MULTIRUN"], "task": task},
                       "job": {"name": "livesim"}},
             "seed": 0}))
    return pd.DataFrame(rows)
