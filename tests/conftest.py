"""Shared helpers: small, fast parameter sets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from livesim.params import Params, params_from_dict

os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = {"population.viewers": 5_000, "population.creators": 100, "days": 3}


def small(**dotted: Any) -> Params:
    """A small world (5,000 viewers, 100 creators, 3 days) with ``dotted`` overrides."""
    return Params().replace(**{**SMALL, **dotted})


@pytest.fixture
def small_params():
    return small


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
