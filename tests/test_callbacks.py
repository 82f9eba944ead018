"""The sweep callbacks count finished runs by the same rule as the runner's resume and the report."""

from __future__ import annotations

import json

import pytest
from omegaconf import OmegaConf
from report_fixtures import LEVER, make_sweep

import livesim.report
from livesim.callbacks import SweepProgress, SweepReport, _finished_runs
from livesim.report.aggregate import load_sweep
from livesim.results import atomic_write, is_complete


def _config(sweep_dir):
    return OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}, "sweeper": {},
                                       "overrides": {"hydra": [], "task": [f"{LEVER}=0.5,0.7", "seed=0,1,2"]}}})


def _edit(path, **fields):
    path.write_text(json.dumps(json.loads(path.read_text()) | fields))


@pytest.fixture
def sweep_dir(tmp_path):
    """Six runs; only 0 and 5 finished, the others left a summary.json that does not say so."""
    make_sweep(tmp_path, thresholds=(0.5, 0.7), seeds=range(3))
    _edit(tmp_path / "1" / "summary.json", status="running")
    (tmp_path / "2" / "summary.json").write_text('{"metrics": {"revenue.gross": 1')  # cut short
    (tmp_path / "3" / "summary.json").write_text("[]")
    summary = json.loads((tmp_path / "4" / "summary.json").read_text())
    del summary["status"]
    (tmp_path / "4" / "summary.json").write_text(json.dumps(summary))
    return tmp_path


def test_progress_count_and_report_agree_on_which_runs_finished(sweep_dir):
    sweep = load_sweep(sweep_dir)
    assert _finished_runs(sweep_dir) == len(sweep.runs) == 2
    assert sorted(sweep.runs["run_dir"]) == ["0", "5"] == sorted(p.name for p in sweep_dir.iterdir()
                                                                  if is_complete(p))
    reasons = dict(zip(sweep.missing["run_dir"], sweep.missing["reason"], strict=True))
    assert reasons["1"] == "status 'running' in summary.json"
    assert reasons["2"].startswith("unreadable summary.json (")
    assert reasons["3"] == "unreadable summary.json (not a JSON object)"
    assert reasons["4"] == "summary.json has no status (a finished run's is 'complete')"


def test_a_run_is_counted_once_its_summary_says_it_finished(sweep_dir):
    assert _finished_runs(sweep_dir) == 2
    path = sweep_dir / "1" / "summary.json"
    atomic_write(path, json.dumps(json.loads(path.read_text()) | {"status": "complete"}))
    assert _finished_runs(sweep_dir) == 3  # a remembered verdict does not outlive the file
    path.unlink()
    assert _finished_runs(sweep_dir) == 2


def test_progress_lines_count_only_finished_runs(sweep_dir, capsys):
    config = _config(sweep_dir)
    progress = SweepProgress()
    progress.on_multirun_start(config)
    assert "2 run(s) already complete are skipped" in capsys.readouterr().err
    progress.on_job_end(config, None)
    assert capsys.readouterr().err.startswith("[2/6] runs complete")


def test_no_report_is_attempted_when_no_run_finished(sweep_dir, capsys, monkeypatch):
    for name in ("0", "5"):
        _edit(sweep_dir / name / "summary.json", status="aborted")

    def build_report(sweep_dir):
        raise AssertionError("no report for a sweep without a finished run")

    monkeypatch.setattr(livesim.report, "build_report", build_report)
    SweepReport().on_multirun_end(_config(sweep_dir))
    assert capsys.readouterr().err == (f"livesim: no run of the sweep in {sweep_dir} finished, "
                                       "so no report was written\n")
