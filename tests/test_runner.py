"""Run folders: every run gets its own, and no run writes over another's results."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import small
from livesim.configs import new_dir

import livesim.runner
from livesim.results import SUMMARY, atomic_write, read_summary
from livesim.runner import CLAIM, RunDirConflict, finished_run, run_to_dir

LIVESIM = str(Path(sys.executable).with_name("livesim"))
FAST = ["population=small", "days=1"]
TINY = {"population.viewers": 1_000, "population.creators": 20, "days": 1}


def _results_dir(stdout: str) -> Path:
    (line,) = [line for line in stdout.splitlines() if line.startswith("Results: ")]
    return Path(line.removeprefix("Results: "))


def test_new_dir_gives_each_caller_its_own_folder(tmp_path):
    base = str(tmp_path / "runs" / "2026-01-01" / "06-03-56")
    names: list[str] = []
    threads = [threading.Thread(target=lambda: names.append(new_dir(base))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(names) == sorted([base] + [f"{base}_{n}" for n in range(2, 9)])
    assert all(Path(name).is_dir() for name in names)


def _occupy(root: Path) -> dict[Path, int]:
    """Folders under ``root`` named for the seconds around now, each holding another run's summary."""
    now = datetime.now()
    taken = {}
    for second in range(-2, 60):
        t = now + timedelta(seconds=second)
        folder = root / f"{t:%Y-%m-%d}" / f"{t:%H-%M-%S}"
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / SUMMARY, '{"status": "complete", "seed": 99}')
        taken[folder] = (folder / SUMMARY).stat().st_mtime_ns
    return taken


def test_a_run_never_lands_in_a_folder_another_run_made_in_the_same_second(tmp_path):
    """Folders for the coming seconds already exist (another run's): the run takes a new one beside them."""
    taken = _occupy(tmp_path / "results" / "runs")
    out = subprocess.run([LIVESIM, *FAST, "seed=1"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    run_dir = _results_dir(out.stdout)
    assert run_dir.parent.parent == tmp_path / "results" / "runs"
    assert re.fullmatch(r"\d\d-\d\d-\d\d_2", run_dir.name), run_dir.name
    assert read_summary(run_dir)["seed"] == 1
    assert {f: (f / SUMMARY).stat().st_mtime_ns for f in taken} == taken  # not one was touched
    assert not (tmp_path / "results" / "multirun").exists()  # a single run makes no sweep folder


def test_runs_started_together_each_keep_their_results(tmp_path):
    procs = [subprocess.Popen([LIVESIM, *FAST, f"seed={seed}"], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for seed in (1, 2, 3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outs]
    dirs = [_results_dir(stdout) for stdout, _ in outs]
    assert len(set(dirs)) == 3
    assert [read_summary(d)["seed"] for d in dirs] == [1, 2, 3]


def test_a_sweep_never_lands_in_another_sweeps_folder(tmp_path):
    taken = _occupy(tmp_path / "results" / "multirun")
    out = subprocess.run([LIVESIM, "-m", *FAST, "seed=0", "hydra.sweep.subdir=one", "~hydra.callbacks.sweep_report"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    (summary,) = (tmp_path / "results" / "multirun").glob(f"*/*/one/{SUMMARY}")
    assert re.fullmatch(r"\d\d-\d\d-\d\d_2", summary.parent.parent.name)
    assert {f: (f / SUMMARY).stat().st_mtime_ns for f in taken} == taken
    assert not (tmp_path / "results" / "runs").exists()


def _simulate_while(monkeypatch, during):
    """Make the runner's simulation call ``during()`` midway, as another process would act."""
    real = livesim.runner.simulate

    def simulate(params, progress=None):
        result = real(params, progress)
        during()
        return result

    monkeypatch.setattr(livesim.runner, "simulate", simulate)


def test_a_run_does_not_write_over_a_run_that_started_in_its_folder_meanwhile(tmp_path, monkeypatch):
    out_dir = tmp_path / "run"
    other = {"token": "other", "pid": 4242, "host": "elsewhere", "started": time.time()}
    _simulate_while(monkeypatch, lambda: atomic_write(out_dir / CLAIM, json.dumps(other)))
    with pytest.raises(RunDirConflict, match=r"another livesim run \(process 4242 on elsewhere\) started in"):
        run_to_dir(small(**TINY), out_dir)
    assert not (out_dir / SUMMARY).exists()
    assert json.loads((out_dir / CLAIM).read_text()) == other


def test_a_run_does_not_write_over_results_another_run_wrote_meanwhile(tmp_path, monkeypatch):
    out_dir = tmp_path / "run"
    theirs = run_to_dir(small(**TINY, seed=5), tmp_path / "theirs")
    _simulate_while(monkeypatch, lambda: atomic_write(out_dir / SUMMARY, json.dumps(theirs)))
    with pytest.raises(RunDirConflict, match="wrote its results to"):
        run_to_dir(small(**TINY, seed=6), out_dir)
    assert read_summary(out_dir) == theirs


def test_an_interrupted_runs_folder_is_run_again(tmp_path):
    """A run killed midway leaves its claim and no summary: the rerun (a resumed sweep) takes the folder."""
    out_dir = tmp_path / "run"
    atomic_write(out_dir / CLAIM, json.dumps({"token": "dead", "pid": 1, "host": "h", "started": 0}))
    params = small(**TINY)
    assert finished_run(params, out_dir) is None
    summary = run_to_dir(params, out_dir)
    assert summary["status"] == "complete" and finished_run(params, out_dir) == summary
    assert json.loads((out_dir / CLAIM).read_text())["pid"] == os.getpid()


def test_replacing_a_finished_run_of_another_config_is_not_silent(tmp_path, caplog):
    out_dir = tmp_path / "run"
    first = run_to_dir(small(**TINY), out_dir)
    with caplog.at_level(logging.WARNING, logger="livesim.runner"):
        assert run_to_dir(small(**TINY), out_dir) == first  # resumed: nothing to say
        assert caplog.messages == []
        run_to_dir(small(**TINY, seed=1), out_dir)
    assert caplog.messages == [f"{out_dir} holds a finished run of another config; this run replaces it"]


def test_git_commit_names_the_checkout_and_marks_uncommitted_changes(tmp_path, monkeypatch):
    import subprocess

    import livesim
    from livesim.runner import git_commit

    pkg = tmp_path / "repo" / "src" / "livesim"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("x = 1\n")
    monkeypatch.setattr(livesim, "__file__", str(pkg / "__init__.py"))

    def commit():  # git_commit is worked out once per process; here the checkout changes under it
        git_commit.cache_clear()
        return git_commit()

    assert commit() is None  # not a checkout

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path / "repo"), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    head = subprocess.run(["git", "-C", str(pkg), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert commit() == head
    (pkg / "new_module.py").write_text("")  # untracked files are not the checkout's code
    assert commit() == head
    (tmp_path / "repo" / "README.md").write_text("notes\n")
    git("add", "README.md")
    git("commit", "-qm", "readme")
    head = subprocess.run(["git", "-C", str(pkg), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    (tmp_path / "repo" / "README.md").write_text("more notes\n")  # not what decides results
    assert commit() == head
    (pkg / "__init__.py").write_text("x = 2\n")
    assert commit() == f"{head}-dirty"
    git_commit.cache_clear()


def test_a_replacing_run_that_fails_leaves_no_old_summary_to_pass_for_its_result(tmp_path, monkeypatch):
    out_dir = tmp_path / "run"
    run_to_dir(small(**TINY), out_dir)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(livesim.runner, "simulate", out_of_memory)
    with pytest.raises(MemoryError):
        run_to_dir(small(**TINY, seed=1), out_dir)
    assert not (out_dir / SUMMARY).exists()
