"""livesim-check: the contract checker a scenario author runs on their own scenario."""

import subprocess
import sys
from pathlib import Path

from conftest import small

import livesim.checks as checks
from livesim.platform import RunResult
from livesim.runner import simulate

CHECK = str(Path(sys.executable).with_name("livesim-check"))


def test_a_sound_configuration_passes_every_check():
    results = checks.check_scenario(small(**{"actors.card_fraud.fraudster_share": 0.01}))
    assert [c.name for c in results if not c.passed] == []
    assert len(results) == 9


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
