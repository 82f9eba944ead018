"""The `livesim` command as a user runs it (subprocess, small world)."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import without_perf

from livesim.metrics import DAILY_COLUMNS, METRICS

LIVESIM = str(Path(sys.executable).with_name("livesim"))
FAST = ["population=small", "days=2"]


def livesim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([LIVESIM, *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)


def summaries(root: Path) -> list[Path]:
    return sorted(root.rglob("summary.json"))


def test_a_run_writes_the_contract_files(tmp_path):
    out = livesim(tmp_path, *FAST, "seed=7")
    assert out.returncode == 0, out.stderr
    assert "Platform net revenue" in out.stdout
    (summary_path,) = summaries(tmp_path / "results" / "runs")
    run_dir = summary_path.parent
    summary = json.loads(summary_path.read_text())
    assert set(METRICS) <= set(summary["metrics"])
    assert summary["seed"] == 7 and summary["status"] == "complete"
    assert summary["config"]["scenario"] == "baseline_mix"
    assert summary["config"]["population"]["viewers"] == 10_000
    assert summary["metrics"]["ledger.imbalance"] == 0
    rows = list(csv.DictReader((run_dir / "timeseries.csv").open()))
    assert [int(r["day"]) for r in rows[:2]] == [1, 2]
    assert set(DAILY_COLUMNS) <= set(rows[0])
    assert (run_dir / ".hydra" / "config.yaml").exists()


def test_same_seed_gives_identical_metrics(tmp_path):
    runs = []
    for sub in ("a", "b"):
        out = livesim(tmp_path, *FAST, "seed=7", f"hydra.run.dir=out/{sub}")
        assert out.returncode == 0, out.stderr
        metrics = json.loads((tmp_path / "out" / sub / "summary.json").read_text())["metrics"]
        runs.append(without_perf(metrics))
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("population.viewers=-5", "`population.viewers`"),
        ("economy.platform_share=1.2", "`economy.platform_share`"),
        ("days=0", "`days`"),
        ("scenario=nope", "Available options in 'scenario'"),
        ("population.viewers=many", "population.viewers"),
    ],
)
def test_bad_input_fails_fast_with_a_clear_message_and_no_summary(tmp_path, override, message):
    out = livesim(tmp_path, *FAST, override)
    assert out.returncode != 0
    assert message in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
    assert summaries(tmp_path) == []


def test_every_scenario_runs_from_the_command_line_on_both_engines(tmp_path):
    from conftest import SCENARIOS

    names = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    out = subprocess.run([LIVESIM, "-m", f"scenario={','.join(names)}", "engine=core,mesa", "population=small",
                          "days=1", "policy=none", "hydra.sweep.dir=sweep"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    found = {}
    for path in summaries(tmp_path / "sweep"):
        summary = json.loads(path.read_text())
        found[(summary["config"]["scenario"], summary["engine"])] = summary["metrics"]
    assert set(found) == {(n, e) for n in names for e in ("core", "mesa")}
    assert all(m["ledger.imbalance"] == 0 for m in found.values())
    assert found[("benign", "core")]["harm.total"] == 0 and found[("benign", "mesa")]["harm.total"] == 0


def test_a_run_folder_reused_with_another_config_is_run_again(tmp_path):
    from livesim.params import Params
    from livesim.runner import run_to_dir

    base = Params().replace(**{"population.viewers": 2_000, "population.creators": 40, "days": 2})
    first = run_to_dir(base, tmp_path / "run")
    again = run_to_dir(base, tmp_path / "run")
    assert again == first  # the same config: resumed, not rerun
    other = run_to_dir(base.replace(**{"policy.daily_gift_cap": 1.0}), tmp_path / "run")
    assert other["config"]["policy"]["daily_gift_cap"] == 1.0
    assert other["metrics"]["revenue.gross"] < first["metrics"]["revenue.gross"]


def test_a_failed_run_in_a_sweep_leaves_its_reason_and_the_sweep_goes_on_to_an_incomplete_report(tmp_path):
    # A folder where the run's timeseries.csv must go makes that run fail as it writes its results.
    blocked = tmp_path / "sweep" / "days=2,population=small,seed=1"
    (blocked / "timeseries.csv").mkdir(parents=True)
    args = ["-m", *FAST, "seed=0,1,2", "hydra.sweep.dir=sweep"]
    out = livesim(tmp_path, *args)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    failed = [line for line in out.stderr.splitlines() if " failed: " in line]
    assert len(failed) == 1 and failed[0].startswith("livesim: run 1 (population=small days=2 seed=1) failed: "
                                                     "IsADirectoryError")
    error = (blocked / "error.txt").read_text()
    assert error.startswith("IsADirectoryError") and "Traceback" in error
    sweep_dir = tmp_path / "sweep"
    assert len(list(sweep_dir.glob("*/summary.json"))) == 2  # the other runs went on
    assert "marked INCOMPLETE: only 2 of 3 planned runs finished" in out.stderr
    progress = [line for line in out.stderr.splitlines() if "runs complete" in line]
    assert progress[-1].startswith("[2/3] runs complete, 1 failed, ") and "left" not in progress[-1]
    assert f"resume with: livesim -m {' '.join(FAST)} seed=0,1,2 hydra.sweep.dir={sweep_dir}" in out.stderr
    missing = list(csv.DictReader((sweep_dir / "missing.csv").open()))
    assert [row["reason"][:25] for row in missing] == ["failed: IsADirectoryError"]

    # Once the cause is gone, the resume runs only that run, and its stale reason goes with it.
    (blocked / "timeseries.csv").rmdir()
    again = livesim(tmp_path, *args)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr.count("already complete, skipped") == 2
    assert (blocked / "summary.json").is_file() and not (blocked / "error.txt").exists()
    assert "INCOMPLETE" not in (sweep_dir / "report.md").read_text()


def test_a_failed_single_run_says_why_in_one_line_and_keeps_the_traceback(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "timeseries.csv").mkdir(parents=True)
    out = livesim(tmp_path, *FAST, "hydra.run.dir=run")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("livesim: the run failed: IsADirectoryError")
    assert (run_dir / "error.txt").read_text().startswith("IsADirectoryError")
    assert not (run_dir / "summary.json").exists()


def test_the_run_summary_shows_bot_diverted_gifts_apart_from_harm_and_the_review_workload():
    from livesim.cli import headline_table

    table = headline_table({"harm.total": 0.0, "harm.bot_diverted_gifts": 1.82, "review.decisions": 40})
    assert "Harm (total)" in table and "Gifts diverted by bots (not in harm)  1.82" in table
    assert "Human review decisions" in table and table.rstrip().endswith("n/a")  # absent metrics say so
    assert "bots" not in headline_table({"harm.total": 0.0, "harm.bot_diverted_gifts": 0.0})  # a world without bots
