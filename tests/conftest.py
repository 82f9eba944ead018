"""Shared helpers: small, fast parameter sets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from livesim.params import Params, params_from_dict

os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = {"population.viewers": 5_000, "population.creators": 100, "days": 3}


def small(**dotted: Any) -> Params:
    """A small world (5,000 viewers, 100 creators, 3 days) with ``dotted`` overrides."""
    return Params().replace(**{**SMALL, **dotted})


# Every typology at once, at shares that make each act in a tiny world.
BUSY = {
    "population.viewers": 1_500, "population.creators": 30, "days": 2,
    "actors.ring.funder_share": 0.01, "actors.card_fraud.fraudster_share": 0.01,
    "actors.bots.bot_share": 0.02, "actors.bots.bots_per_creator": 10,
    "actors.minors.share": 0.2, "actors.violating.creator_share": 0.1, "actors.adaptation": 0.5,
    "actors.card_fraud.chargeback_delay_median_days": 3.0,
    "actors.card_fraud.chargeback_delay_max_days": 6,
}


def without_perf(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics without the ``perf.*`` timings, which differ from run to run."""
    return {k: v for k, v in metrics.items() if not k.startswith("perf.")}


ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def scenario_params(name: str, policy: str = "none", **dotted: Any) -> Params:
    """Params as Hydra composes them: schema ← policy option ← scenario file ← ``dotted``.

    The world defaults to 20,000 viewers, 400 creators and 5 days unless ``dotted`` says otherwise.
    """
    data = Params().to_dict()
    data["policy"].update(yaml.safe_load((ROOT / "configs" / "policy" / f"{policy}.yaml").read_text()))
    scenario = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text()) or {}
    for section, values in scenario.items():
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict):
                    data[section][key].update(value)
                else:
                    data[section][key] = value
        else:
            data[section] = values
    data["scenario"] = name
    base = {"population.viewers": 20_000, "population.creators": 400, "days": 5}
    return params_from_dict(data).replace(**{**base, **dotted})
