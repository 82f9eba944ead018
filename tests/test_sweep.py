"""Sweeps end to end: Hydra multirun (basic and joblib), resume after a kill, the report."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import without_perf

LIVESIM = str(Path(sys.executable).with_name("livesim"))


def sweep(cwd: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([LIVESIM, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def complete_runs(sweep_dir: Path) -> dict[str, float]:
    """Run folder → mtime of its summary.json."""
    return {p.parent.name: p.stat().st_mtime_ns for p in sweep_dir.glob("*/summary.json")}


@pytest.mark.slow
def test_joblib_sweep_writes_every_run_and_the_report(tmp_path):
    out = sweep(tmp_path, "population=small", "days=3", "scenario=laundering_ring",
                "policy.daily_gift_cap=300,500", "seed=range(0,8)", "hydra/launcher=joblib",
                "hydra.launcher.n_jobs=2", "hydra.sweep.dir=sweep")
    assert out.returncode == 0, out.stderr[-3000:]
    sweep_dir = tmp_path / "sweep"
    assert len(complete_runs(sweep_dir)) == 16
    assert "[16/16] runs complete" in out.stderr
    for name in ("runs.csv", "summary.csv", "report.md", "report.html"):
        assert (sweep_dir / name).exists(), name
    rows = list(csv.DictReader((sweep_dir / "summary.csv").open()))
    assert len(rows) == 2
    assert {"revenue.platform_net.ci_low", "revenue.platform_net.delta_ci_high"} <= set(rows[0])
    html = (sweep_dir / "report.html").read_text()
    assert "data:image/png;base64," in html and "src=\"http" not in html
    # Common random numbers pay off: the delta's CI paired by seed is narrower than the unpaired one.
    # Two nearby caps share most of each seed's outcome (its whales, its ring), so the paired
    # differences vary far less than the runs (here about a third of Welch's width at 8 seeds).
    # A cap of 20 against 500 would not show it: at 20 nearly every run is the same small total.
    other = next(r for r in rows if r["point"] == "policy.daily_gift_cap=500")  # baseline: the first, 300
    assert float(other["revenue.gross.delta"]) > 0  # a looser cap lets more gifts through
    for metric in ("revenue.gross", "revenue.platform_net"):
        paired = float(other[f"{metric}.delta_ci_high"]) - float(other[f"{metric}.delta_ci_low"])
        welch = float(other[f"{metric}.delta_welch_ci_high"]) - float(other[f"{metric}.delta_welch_ci_low"])
        assert paired < welch, (metric, paired, welch)


@pytest.mark.slow
def test_a_killed_sweep_keeps_finished_runs_and_a_rerun_only_runs_the_missing(tmp_path):
    args = ["days=4", "population.viewers=300000", "population.creators=3000",
            "policy.risk_threshold=0.6,0.7,0.8", "seed=range(0,3)", "hydra.sweep.dir=sweep"]
    sweep_dir = tmp_path / "sweep"
    proc = subprocess.Popen([LIVESIM, "-m", *args], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while len(complete_runs(sweep_dir)) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = complete_runs(sweep_dir)
    assert 2 <= len(before) < 9, "the sweep must be killed midway for this test to mean anything"
    # A killed run leaves no summary: every summary present is a complete, parseable one.
    for name in before:
        assert json.loads((sweep_dir / name / "summary.json").read_text())["status"] == "complete"

    out = sweep(tmp_path, *args)
    assert out.returncode == 0, out.stderr[-3000:]
    after = complete_runs(sweep_dir)
    assert len(after) == 9
    assert {k: after[k] for k in before} == before  # finished runs were kept, not rerun
    assert f"{len(before)} run(s) already complete are skipped" in out.stderr


def test_a_bad_value_in_a_sweep_fails_before_any_summary(tmp_path):
    out = sweep(tmp_path, "population=small", "days=1", "economy.platform_share=0.5,1.5", "hydra.sweep.dir=sweep")
    assert out.returncode != 0
    assert "`economy.platform_share`" in out.stderr and "no run of this sweep was started" in out.stderr
    assert "Traceback" not in out.stderr
    assert not list(tmp_path.rglob("summary.json"))  # not even the valid point ran


def test_optuna_tradeoff_search_runs_trials_as_ordinary_runs(tmp_path):
    out = sweep(tmp_path, "hydra/sweeper=tradeoff_search", "hydra.sweeper.n_trials=3", "population=small",
                "days=2", "scenario=laundering_ring", "hydra.sweep.dir=search")
    assert out.returncode == 0, out.stderr[-3000:]
    search = tmp_path / "search"
    runs = complete_runs(search)
    assert len(runs) == 3
    results = (search / "optimization_results.yaml").read_text()
    assert "policy.risk_threshold" in results and "solutions" in results  # multi-objective: a Pareto set
    assert "[3/3] runs complete" in out.stderr
    # The report can name the command that reproduces the search, though Optuna writes no multirun.yaml.
    assert "livesim -m hydra/sweeper=tradeoff_search" in (search / "report.md").read_text()
    for name in runs:
        summary = json.loads((search / name / "summary.json").read_text())
        assert 0.5 <= summary["config"]["policy"]["risk_threshold"] <= 0.95


@pytest.mark.slow
def test_results_are_identical_whatever_the_launcher(tmp_path):
    args = ["population=small", "days=2", "scenario=card_fraud_wave", "seed=range(0,3)"]
    metrics = {}
    for name, launcher in (("basic", []), ("joblib", ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"])):
        out = sweep(tmp_path, *args, *launcher, f"hydra.sweep.dir={name}")
        assert out.returncode == 0, out.stderr[-3000:]
        metrics[name] = {p.parent.name: without_perf(json.loads(p.read_text())["metrics"])
                         for p in (tmp_path / name).glob("*/summary.json")}
    assert len(metrics["basic"]) == 3
    assert metrics["basic"] == metrics["joblib"]
