"""livesim-check: the contract checker a scenario author runs on their own scenario."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import small

import livesim.checks as checks
from livesim.platform import RunResult
from livesim.runner import simulate

CHECK = str(Path(sys.executable).with_name("livesim-check"))


def test_a_sound_configuration_passes_every_check():
    results = checks.check_scenario(small(**{"actors.card_fraud.fraudster_share": 0.01}))
    assert [c.name for c in results if not c.passed] == []
    assert len(results) == 10


def test_a_typology_that_rounds_to_no_account_fails_with_the_population_it_needs():
    # 0.0001 × 5,000 viewers = 0.5 funders rounds to none: the run has no ring and so no laundering,
    # which must not read as "the policy stopped it".
    with pytest.warns(UserWarning, match="rounds to 0 laundering-ring funders"):
        results = {c.name: c for c in checks.check_scenario(small(**{"actors.ring.funder_share": 0.0001}))}
    missing = results["every bad-actor typology asked for is present"]
    assert not missing.passed
    assert "actors.ring.funder_share=0.0001" in missing.detail and "population.viewers ≥ 5,001" in missing.detail
    # With no account of any typology the world is benign, and so is what the check expects of it.
    assert results["no bad actors, no harm"].passed


def test_a_nondeterministic_unbalanced_engine_is_caught(monkeypatch):
    calls = []

    def flaky(params):
        real = simulate(params)
        calls.append(1)
        metrics = {**real.metrics, "revenue.gross": real.metrics["revenue.gross"] + len(calls),
                   "ledger.imbalance": 0.5}
        return RunResult(metrics=metrics, daily=real.daily)

    monkeypatch.setattr(checks, "simulate", flaky)
    failed = {c.name for c in checks.check_scenario(small()) if not c.passed}
    assert failed == {"same seed, same results", "ledger balances at every tick"}


def test_the_command_writes_nothing_and_reports_by_exit_code(tmp_path):
    ok = subprocess.run([CHECK, "scenario=benign", "population=small", "days=1"], cwd=tmp_path,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "[ok] ledger balances at every tick" in ok.stdout
    assert list(tmp_path.iterdir()) == []
    bad = subprocess.run([CHECK, "scenario=nope"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Available options in 'scenario'" in bad.stderr
