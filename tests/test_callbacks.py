"""The sweep callbacks: finished runs counted by the runner's and the report's rule, over the sweep's own grid;
skipped runs named as such; the sweep's folder and resume command said at its start.
"""

from __future__ import annotations

import json
import re

import pytest
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import RunMode
from omegaconf import OmegaConf
from report_fixtures import LEVER, make_sweep

import livesim.report.build
from livesim.callbacks import SweepProgress, SweepReport, _finished_runs, _grid_job_dirs
from livesim.report.aggregate import load_sweep
from livesim.results import atomic_write, is_complete, read_sweep_state

GRID = [f"{LEVER}=0.5,0.7", "seed=0,1,2"]  # make_sweep's six runs, in Hydra's job order


def _config(sweep_dir, task=GRID, *, subdir="${hydra.job.num}", hydra=(), num=0, mode=RunMode.MULTIRUN):
    """The parts of Hydra's config the callbacks read; job ``num`` of a sweep over ``task``."""
    return OmegaConf.create({"hydra": {
        "mode": mode, "sweep": {"dir": str(sweep_dir), "subdir": subdir}, "sweeper": {},
        "overrides": {"hydra": list(hydra), "task": list(task)},
        "job": {"num": num, "id": num, "override_dirname": "",
                "config": {"override_dirname": {"kv_sep": "=", "item_sep": ",", "exclude_keys": []}}},
        "runtime": {"output_dir": str(sweep_dir / str(num))}}})


def _run_job(progress, config, *, rerun=False):
    """What Hydra does around one job: on_job_start, the task (which may rewrite the summary), on_job_end."""
    progress.on_job_start(config)
    out_dir = config.hydra.runtime.output_dir
    if rerun:
        path = f"{out_dir}/summary.json"
        atomic_write(path, json.dumps(json.loads(open(path).read()) | {"status": "complete"}))
    progress.on_job_end(config, JobReturn(status=JobStatus.COMPLETED))


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
    assert "2 run(s) already complete are skipped, 4 to run" in capsys.readouterr().err
    progress.on_job_end(_config(sweep_dir, num=1), None)
    assert capsys.readouterr().err.startswith("[2/6] runs complete")


def test_the_grid_names_each_jobs_folder_as_hydra_does(tmp_path):
    assert _grid_job_dirs(_config(tmp_path)) == [str(n) for n in range(6)]
    by_overrides = _config(tmp_path, ["population=small", "seed=1,0", f"{LEVER}=0.7"],
                           subdir="${hydra.job.override_dirname}")
    assert _grid_job_dirs(by_overrides) == [f"{LEVER}=0.7,population=small,seed=1",
                                            f"{LEVER}=0.7,population=small,seed=0"]
    optimiser = _config(tmp_path)
    optimiser.hydra.sweeper = {"_target_": "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper",
                               "n_trials": 4}
    assert _grid_job_dirs(optimiser) is None


def test_a_narrower_sweep_in_a_folder_counts_only_its_own_runs(sweep_dir, capsys):
    """Runs 0 and 5 of the six finished; rerun as a two-run sweep whose folders are 0 and 1."""
    progress = SweepProgress()
    task = [f"{LEVER}=0.5", "seed=0,1"]
    progress.on_multirun_start(_config(sweep_dir, task))
    err = capsys.readouterr().err
    assert "1 run(s) already complete are skipped, 1 to run" in err
    state = read_sweep_state(sweep_dir)
    assert (state["total"], state["done_at_start"], state["jobs"]) == (2, 1, ["0", "1"])
    _run_job(progress, _config(sweep_dir, [f"{LEVER}=0.5", "seed=0"], num=0))
    _run_job(progress, _config(sweep_dir, [f"{LEVER}=0.5", "seed=1"], num=1), rerun=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"  run 0: {LEVER}=0.5 seed=0 already complete, skipped"
    assert lines[1].startswith("[2/2] runs complete")
    assert len(lines) == 2


def test_progress_never_exceeds_the_total_when_the_runs_cannot_be_known(sweep_dir, capsys):
    config = _config(sweep_dir)
    config.hydra.sweeper = {"_target_": "some.OtherSweeper", "n_trials": 1}  # picks its own points
    progress = SweepProgress()
    progress.on_multirun_start(config)
    assert read_sweep_state(sweep_dir)["done_at_start"] == 1  # two finished runs in the folder
    progress.on_job_end(_config(sweep_dir, num=1), None)
    assert capsys.readouterr().err.splitlines()[-1].startswith("[1/1] runs complete")


def test_a_skipped_run_says_so_and_a_run_that_ran_again_is_counted(sweep_dir, capsys):
    progress = SweepProgress()
    progress.on_multirun_start(_config(sweep_dir))
    capsys.readouterr()
    _run_job(progress, _config(sweep_dir, [f"{LEVER}=0.7", "seed=2"], num=5))
    _run_job(progress, _config(sweep_dir, [f"{LEVER}=0.5", "seed=0"], num=0), rerun=True)  # e.g. its config changed
    failed = _config(sweep_dir, [f"{LEVER}=0.7", "seed=2"], num=5)
    progress.on_job_start(failed)
    progress.on_job_end(failed, JobReturn(status=JobStatus.FAILED))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"  run 5: {LEVER}=0.7 seed=2 already complete, skipped"
    assert re.match(r"\[2/6\] runs complete, \d+s elapsed$", lines[1])  # rerun, none new: no estimate
    assert lines[2].startswith("[2/6] runs complete")  # a failed job is not a skipped one
    assert len(lines) == 3


def test_the_sweep_says_where_it_writes_and_how_to_resume_before_any_run(tmp_path, capsys):
    sweep_dir = tmp_path / "sweep"
    config = _config(sweep_dir, ["population=small", "seed=range(0,2)"],
                     hydra=["hydra.mode=MULTIRUN", "hydra/launcher=joblib", "hydra.sweep.dir=old"])
    SweepProgress().on_multirun_start(config)
    assert capsys.readouterr().err == (
        f"livesim: sweep of 2 runs in {sweep_dir}; if interrupted, resume with: livesim -m population=small "
        f"'seed=range(0,2)' hydra/launcher=joblib hydra.sweep.dir={sweep_dir}\n")


def test_a_single_run_does_not_touch_a_sweep_folder(tmp_path, capsys):
    config = _config(tmp_path / "no-sweep", mode=RunMode.RUN)
    progress = SweepProgress()
    progress.on_job_start(config)
    progress.on_job_end(config, JobReturn(status=JobStatus.COMPLETED))
    assert not (tmp_path / "no-sweep").exists() and capsys.readouterr().err == ""


def test_no_report_is_attempted_when_no_run_finished(sweep_dir, capsys, monkeypatch):
    for name in ("0", "5"):
        _edit(sweep_dir / name / "summary.json", status="aborted")

    def build_report(sweep_dir):
        raise AssertionError("no report for a sweep without a finished run")

    monkeypatch.setattr(livesim.report.build, "write_report", build_report)
    atomic_write(sweep_dir / "5" / "error.txt", "MemoryError\n")
    SweepReport().on_multirun_end(_config(sweep_dir))
    err = capsys.readouterr().err
    assert err.startswith(f"livesim: no run of the sweep in {sweep_dir.resolve()} finished (1 failed: see the "
                          "error.txt in their folders), so no report was written; once what stopped them is "
                          "fixed, resume with: livesim -m ")
    assert err.rstrip().endswith(f"hydra.sweep.dir={sweep_dir.resolve()}")


def test_the_resume_command_keeps_an_interpolation_as_typed(tmp_path):
    from livesim.callbacks import _resume_command

    config = _config(tmp_path, task=["seed=0,1", "policy.name=${seed}"])
    # Resolved in the parent, it would read policy.name=0 and give seed 1 another config on resume.
    assert _resume_command(config, tmp_path) == f"livesim -m seed=0,1 'policy.name=${{seed}}' hydra.sweep.dir={tmp_path}"


def test_the_end_of_a_resumed_sweep_keeps_the_baseline_and_limits_of_the_report_there(tmp_path, capsys):
    make_sweep(tmp_path, thresholds=(0.5, 0.7), seeds=range(3))
    livesim.report.build.write_report(tmp_path, baseline=f"{LEVER}=0.7", max_harm=900.0)
    SweepReport().on_multirun_end(_config(tmp_path))
    err = capsys.readouterr().err
    assert f"(with the report's earlier options: --baseline {LEVER}=0.7 --max-harm 900.0)" in err
    report = (tmp_path / "report.md").read_text()
    assert f"**Baseline:** `{LEVER}=0.7` (given with --baseline)" in report and "harm.total < 900" in report
    # Rebuilt by hand without options, the folder's report and its record go back to the defaults.
    livesim.report.build.write_report(tmp_path)
    SweepReport().on_multirun_end(_config(tmp_path))
    assert "earlier options" not in capsys.readouterr().err
    assert "(given with --baseline)" not in (tmp_path / "report.md").read_text()


def test_a_baseline_the_runs_cannot_take_now_is_left_out_this_time_and_kept_on_record(tmp_path, capsys):
    # The baseline point has no complete run (yet): the report is built without it, with the limit.
    make_sweep(tmp_path, thresholds=(0.5, 0.7), seeds=range(3))
    saved = {"baseline": f"{LEVER}=0.9", "max_harm": 900.0}
    atomic_write(tmp_path / livesim.report.build.OPTIONS_FILE, json.dumps(saved))
    SweepReport().on_multirun_end(_config(tmp_path))
    err = capsys.readouterr().err
    assert f"(without the report's earlier --baseline {LEVER}=0.9, kept on record for the next rebuild: " in err
    assert "harm.total < 900" in (tmp_path / "report.md").read_text()
    assert livesim.report.build.report_options(tmp_path) == saved


@pytest.mark.parametrize("record", ['{"baseline": 5, "max_harm": "abc", "max_fp_rate": 5}',
                                    '{"baseline": " ", "max_harm": true, "max_fp_rate": NaN}',
                                    '{"max_harm": -1}', '[1]', '{not json'])
def test_a_hand_edited_options_record_is_read_only_for_values_livesim_report_would_take(tmp_path, record):
    (tmp_path / livesim.report.build.OPTIONS_FILE).write_text(record)
    assert livesim.report.build.report_options(tmp_path) == {}
