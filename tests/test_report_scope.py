"""What a report may claim: incomplete sweeps, one sweep at a time, worlds apart, no pretend choices.

Each test here failed on the report as it was before: a half-finished sweep read as complete and
named a winner; a folder of several sweeps, or a sweep over scenarios, was pooled and `scenario`
recommended like a policy; a refused call had already overwritten runs.csv; a single run got a
"sweep" report; and without limits the highest-revenue point was called "Recommended".
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf
from report_fixtures import LEVER, core_metrics, make_sweep, write_run

from livesim.callbacks import SweepReport
from livesim.report import ReportError, write_report
from livesim.report.aggregate import is_policy_key, load_sweep
from livesim.report.cli import main
from livesim.results import SWEEP_STATE

GRID = (0.5, 0.7, 0.8, 0.9)
OUTPUTS = ("report.html", "report.md", "runs.csv", "summary.csv", "missing.csv")


def _interrupted(root):
    """The user's case: 4 thresholds × 4 seeds, interrupted after the 4 runs of the first."""
    make_sweep(root, thresholds=GRID, seeds=range(4), metrics=core_metrics,
               skip={(t, s) for t in GRID[1:] for s in range(4)})


# --- 1. an incomplete sweep says so, and names no winner over a grid with holes --------------

def test_interrupted_sweep_is_marked_incomplete_at_the_top_and_recommends_nothing(tmp_path):
    _interrupted(tmp_path)
    report = write_report(tmp_path)
    assert report.incomplete and (report.n_runs, report.n_planned) == (4, 16)
    assert report.recommendation.point is None
    md = report.markdown.read_text()
    title, first, banner = md.split("\n\n")[:3]
    assert title.startswith("# INCOMPLETE — ")
    assert "4 complete runs at 1 of 4 policy points" in first
    assert banner.startswith("**⚠ INCOMPLETE SWEEP: only 4 of 16 planned runs completed")
    assert "3 of 4 policy points have no complete run (`0.7`, `0.8`, `0.9`)" in banner
    assert "hydra.sweep.dir=" in banner  # how to resume
    head = md.split("## The question")[0]
    assert "No recommendation: 3 of 4 policy points have no complete run" in head
    assert "cannot be compared until those runs exist" in head
    assert "Recommended" not in md and "Highest platform net" not in md and "★" not in md
    assert "<title>INCOMPLETE — " in report.html.read_text()


def test_question_section_reports_the_seeds_each_point_actually_has(tmp_path):
    _interrupted(tmp_path)
    md = write_report(tmp_path).markdown.read_text()
    question = md.split("## The question")[1].split("\n## ")[0]
    assert "4 per point" not in question
    assert ("complete runs per point: all 4 at `0.5`; no complete run at `0.7`, `0.8`, `0.9`"
            in question)
    assert f"`{LEVER}` ∈ {{0.5, 0.7, 0.8, 0.9}} (no complete run at 0.7, 0.8, 0.9)" in question
    # The points without runs are still in the results table, with nothing to rank.
    assert f"| `{LEVER}=0.9` (no complete run) | 0 of 4 | — |" in md


def test_points_with_fewer_seeds_are_flagged_and_the_headline_says_incomplete(tmp_path):
    make_sweep(tmp_path, thresholds=GRID, seeds=range(5), metrics=core_metrics,
               skip={(0.9, 4)}, fail={(0.7, 2): "RuntimeError: boom"})
    report = write_report(tmp_path, max_harm=1e9)
    rec = report.recommendation
    # Every point has runs, but a point's mean over fewer seeds is over other worlds: seed-to-seed
    # variation dwarfs a policy's effect, so a missing run could decide the ranking. No answer.
    assert rec.point is None
    assert rec.headline.startswith("INCOMPLETE SWEEP (18 of 20 runs complete) — No recommendation: 2 of 4 "
                                   "policy points lack some of the sweep's seeds")
    assert f"{LEVER}=0.7 (4 of 5 seeds)" in rec.headline
    md = report.markdown.read_text()
    assert f"`{LEVER}=0.7` (⚠ 4 of 5 seeds)" in md or f"`{LEVER}=0.7` (◆ frontier, ⚠ 4 of 5" in md
    assert "fewer complete seeds than planned: `0.7` (4 of 5), `0.9` (4 of 5)" in md


def test_cli_writes_the_incomplete_report_but_exits_3_with_one_paragraph(tmp_path, capsys):
    _interrupted(tmp_path)
    assert main([str(tmp_path)]) == 3
    captured = capsys.readouterr()
    assert (tmp_path / "report.html").is_file()
    assert "INCOMPLETE SWEEP (4 of 16 runs complete) — No recommendation" in captured.out
    err = " ".join(captured.err.split())
    assert err.startswith("livesim-report: warning: the sweep is INCOMPLETE: 4 of 16 planned "
                          "runs finished")
    assert f"hydra.sweep.dir={tmp_path}" in err  # the path is not broken by the wrapping
    assert "Traceback" not in captured.err


def test_complete_sweep_is_not_marked_and_exits_0(tmp_path, capsys):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(3), metrics=core_metrics)
    assert main([str(tmp_path)]) == 0
    assert "INCOMPLETE" not in (tmp_path / "report.md").read_text()
    assert "warning" not in capsys.readouterr().err


def test_search_whose_unstarted_trials_leave_no_folder_is_incomplete_by_its_recorded_size(
        tmp_path):
    make_sweep(tmp_path, thresholds=(0.5, 0.7, 0.9), seeds=[0], multirun=False,
               metrics=core_metrics)
    (tmp_path / SWEEP_STATE).write_text(json.dumps({"total": 6, "command": "livesim -m x"}))
    report = write_report(tmp_path)
    assert report.incomplete and report.n_planned == 6
    assert "3 of them left no folder" in report.markdown.read_text()


def test_end_of_sweep_callback_writes_the_incomplete_report_without_failing(tmp_path, capsys):
    make_sweep(tmp_path, thresholds=(0.5, 0.7), seeds=range(3), metrics=core_metrics,
               fail={(0.7, 0): "boom", (0.7, 1): "boom", (0.7, 2): "boom"})
    task = [f"{LEVER}=0.5,0.7", "seed=range(0,3)"]
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}, "overrides": {"task": task, "hydra": []}}})
    SweepReport().on_multirun_end(config)
    err = capsys.readouterr().err
    assert ", marked INCOMPLETE: only 3 of 6 planned runs finished (see missing.csv)" in err
    assert f"resume with: livesim -m {task[0]} 'seed=range(0,3)' hydra.sweep.dir={tmp_path}" in err
    assert (tmp_path / "report.md").read_text().startswith("# INCOMPLETE — ")


# --- 2. one sweep at a time; the world is not a lever ----------------------------------------

def test_folder_holding_several_sweeps_is_refused_naming_them(tmp_path, capsys):
    for name in ("a", "b"):
        make_sweep(tmp_path / name, thresholds=(0.7, 0.9), seeds=range(2), metrics=core_metrics)
    (tmp_path / "a" / "multirun.yaml").unlink()  # livesim's own sweep record is enough
    (tmp_path / "a" / SWEEP_STATE).write_text(json.dumps({"total": 4}))
    assert main([str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "holds 2 separate sweeps" in err
    assert str(tmp_path / "a") in err and str(tmp_path / "b") in err
    assert not any((tmp_path / name).exists() for name in OUTPUTS)


def test_folder_holding_one_sweep_deeper_down_points_to_it(tmp_path):
    make_sweep(tmp_path / "10-00-00", thresholds=(0.7, 0.9), seeds=range(2), metrics=core_metrics)
    with pytest.raises(ReportError, match="not a sweep folder, but it holds one") as err:
        write_report(tmp_path)
    assert f"livesim-report {tmp_path / '10-00-00'}" in str(err.value)


@pytest.mark.parametrize(("key", "policy"), [
    ("policy.risk_threshold", True), ("policy", True), ("detection.rule_velocity_llr", True),
    ("detection.velocity_multiple", True), ("detection.assumed_prevalence", True),
    ("detection.auc", True), ("detection.auc_ring", False), ("detection.persistence", False),
    ("scenario", False), ("population", False), ("population.viewers", False),
    ("actors.adaptation", False), ("economy.platform_share", False), ("days", False),
    ("engine", False), ("something.unknown", False),
])
def test_only_policy_settings_are_levers(key, policy):
    assert is_policy_key(key) is policy


def _two_worlds(root, thresholds=(0.7, 0.9), seeds=range(3), skip=()):
    """A deliberate `scenario=baseline_mix,laundering_ring` × threshold sweep.

    In the ring world each seed's world is different (its own seed effect), and 0.7 beats 0.9,
    the reverse of the mix world.
    """
    job = 0
    for scenario in ("baseline_mix", "laundering_ring"):
        for t in thresholds:
            for s in seeds:
                if (scenario, t, s) in skip:
                    continue
                m = core_metrics(t, s)
                if scenario == "laundering_ring":
                    m = core_metrics(t, s + 100) | {
                        "revenue.platform_net": 30_000.0 - 10_000 * t + 500 * s}
                write_run(root / str(job), [f"scenario={scenario}", f"{LEVER}={t}", f"seed={s}"],
                          s, m)
                job += 1
    task = ["scenario=baseline_mix,laundering_ring", f"{LEVER}={','.join(map(str, thresholds))}",
            f"seed={','.join(map(str, seeds))}"]
    (root / "multirun.yaml").write_text(yaml.safe_dump({"hydra": {"overrides": {"task": task}}}))


def test_scenario_is_a_world_not_a_lever(tmp_path):
    _two_worlds(tmp_path)
    sweep = load_sweep(tmp_path)
    assert sweep.levers == (LEVER,) and sweep.world_keys == ("scenario",)
    assert sweep.worlds == ("scenario=baseline_mix", "scenario=laundering_ring")
    assert sweep.points == (f"{LEVER}=0.7", f"{LEVER}=0.9")
    ring = sweep.world("scenario=laundering_ring")
    assert len(ring.runs) == 6 and ring.fixed["scenario"] == "laundering_ring"


def test_sweep_over_worlds_is_answered_world_by_world_never_across(tmp_path):
    _two_worlds(tmp_path)
    report = write_report(tmp_path, baseline=f"{LEVER}=0.7")
    worlds = dict(report.worlds)
    assert worlds["scenario=baseline_mix"].point == f"{LEVER}=0.9"
    assert worlds["scenario=laundering_ring"].point == f"{LEVER}=0.7"
    assert report.recommendation.point is None
    assert report.recommendation.headline.startswith("No recommendation across worlds")
    md = report.markdown.read_text()
    assert "scenario=laundering_ring policy" not in md and "scenario ∈" not in md
    assert "**2 simulated worlds.**" in md and "nothing is recommended across worlds" in md
    # Differences are paired within a world: the ring world's delta is its own (-2,000 exactly).
    summary = pd.read_csv(tmp_path / "summary.csv")
    row = summary[(summary["world"] == "scenario=laundering_ring")
                  & (summary["point"] == f"{LEVER}=0.9")].iloc[0]
    assert row["revenue.platform_net.delta"] == pytest.approx(-2_000)
    assert row["revenue.platform_net.delta_ci_high"] == pytest.approx(-2_000)
    assert len(summary) == 4 and len(list((tmp_path / "plots").glob("scenario=*__*.png"))) > 4


def test_a_world_with_a_missing_point_gets_no_answer_while_the_other_keeps_its_own(tmp_path):
    _two_worlds(tmp_path, skip={("laundering_ring", 0.9, s) for s in range(3)})
    report = write_report(tmp_path, max_harm=1e9)
    worlds = dict(report.worlds)
    assert worlds["scenario=laundering_ring"].point is None
    assert "No recommendation: 1 of 2 policy points" in worlds["scenario=laundering_ring"].headline
    assert worlds["scenario=baseline_mix"].recommended


def test_baseline_naming_the_world_is_refused(tmp_path):
    _two_worlds(tmp_path)
    with pytest.raises(ReportError, match="defines the simulated world"):
        write_report(tmp_path, baseline=f"scenario=baseline_mix {LEVER}=0.7")
    assert not (tmp_path / "runs.csv").exists()


def test_population_override_is_a_world_too(tmp_path):
    for i, (viewers, t) in enumerate([(1000, 0.5), (1000, 0.9), (5000, 0.5), (5000, 0.9)]):
        write_run(tmp_path / str(i), [f"population.viewers={viewers}", f"{LEVER}={t}", "seed=0"],
                  0, core_metrics(t, 0))
    sweep = load_sweep(tmp_path)
    assert sweep.levers == (LEVER,) and sweep.world_keys == ("population.viewers",)


# --- 3. a refused call writes nothing ---------------------------------------------------------

@pytest.mark.parametrize("argv", [["--baseline", f"{LEVER}=0.75"],
                                  ["--baseline", "seed=1"],
                                  ["--max-harm", "10", "--baseline", "policy.action=suspend"]])
def test_refused_call_leaves_earlier_files_untouched(tmp_path, capsys, argv):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(2), metrics=core_metrics,
               skip={(0.9, 1)})
    for name in OUTPUTS:
        (tmp_path / name).write_text("earlier report\n")
    assert main([str(tmp_path), *argv]) == 2
    assert "livesim-report: error:" in capsys.readouterr().err
    assert all((tmp_path / n).read_text() == "earlier report\n" for n in OUTPUTS)
    assert not (tmp_path / "plots").exists()


def test_refused_call_with_out_creates_nothing(tmp_path):
    make_sweep(tmp_path / "sweep", thresholds=(0.5, 0.9), seeds=range(2),
               metrics=lambda t, s: {k: v for k, v in core_metrics(t, s).items()
                                     if k != "enforcement.fp_rate"})
    with pytest.raises(ReportError, match="do not report it"):
        write_report(tmp_path / "sweep", max_fp_rate=0.5, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not any((tmp_path / "sweep" / name).exists() for name in OUTPUTS)


# --- 4. no pretend comparisons ----------------------------------------------------------------

def test_single_run_folder_is_refused(tmp_path, capsys):
    write_run(tmp_path / "run", [f"{LEVER}=0.8"], 0, core_metrics(0.8, 0))
    assert main([str(tmp_path / "run")]) == 2
    assert "is a single run" in " ".join(capsys.readouterr().err.split())
    assert not any((tmp_path / "run" / name).exists() for name in OUTPUTS if name != "summary.json")


def test_folder_of_separate_single_runs_is_refused(tmp_path):
    for i, t in enumerate((0.5, 0.9)):
        write_run(tmp_path / f"10-00-0{i}", [f"{LEVER}={t}"], 0, core_metrics(t, 0),
                  command=f"livesim {LEVER}={t}")
    with pytest.raises(ReportError, match="holds 2 separate single runs"):
        write_report(tmp_path)


def test_sweep_over_seeds_only_reports_one_policy_and_recommends_nothing(tmp_path):
    for seed in range(3):
        write_run(tmp_path / str(seed), [f"seed={seed}"], seed, core_metrics(0.8, seed))
    report = write_report(tmp_path, max_harm=1e9)
    assert report.recommendation.point is None
    assert report.recommendation.headline.startswith("No comparison: the sweep has a single "
                                                     "policy point")
    assert "Recommended" not in report.markdown.read_text()
    # Nothing to chart across points (and charting each of many single-point worlds took minutes).
    assert not any(name.startswith(("outcome", "tradeoff")) for name in
                   (p.name for p in (tmp_path / "plots").glob("*.png")))


def test_without_limits_the_report_names_the_highest_net_point_but_recommends_nothing(
        tmp_path):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(3), metrics=core_metrics)
    report = write_report(tmp_path)
    assert not report.recommendation.recommended
    md = report.markdown.read_text()
    assert "## Result (no limits given)" in md and "## Recommendation" not in md
    assert ("**Highest platform net (no harm or false-positive limits given — not a "
            "recommendation): ") in md
    assert "★ highest net, not a recommendation" in md
    assert "Recommended" not in md and "★ recommended" not in md
    assert "highest net, not a recommendation: " in md  # the daily chart's legend label


def test_the_resume_command_names_the_sweep_folder_absolutely(tmp_path, monkeypatch):
    from livesim.report.aggregate import load_sweep
    from livesim.report.build import resume_command

    make_sweep(tmp_path / "sw", thresholds=(0.5, 0.9), seeds=range(2), metrics=core_metrics)
    monkeypatch.chdir(tmp_path)
    recorded = resume_command(load_sweep("sw"))  # the fixture's command, plus the folder
    for summary in (tmp_path / "sw").glob("*/summary.json"):  # as a sweep run with hydra.sweep.dir=sw
        data = json.loads(summary.read_text())
        summary.write_text(json.dumps({**data, "sweep_command": "livesim -m 'seed=range(0,2)' hydra.sweep.dir=sw"}))
    # Recorded relative to where the sweep was started: from elsewhere it would start a new sweep.
    assert resume_command(load_sweep("sw")) == f"livesim -m 'seed=range(0,2)' hydra.sweep.dir={tmp_path / 'sw'}"
    assert recorded.endswith(f" hydra.sweep.dir={tmp_path / 'sw'}") and recorded.count("hydra.sweep.dir=") == 1


def test_the_headline_counts_points_without_runs_and_points_short_of_seeds_apart(tmp_path):
    # 0.8 and 0.9 never ran; 0.7 lacks a seed.
    make_sweep(tmp_path, thresholds=GRID, seeds=range(3), metrics=core_metrics,
               skip={(t, s) for t in (0.8, 0.9) for s in range(3)} | {(0.7, 2)})
    headline = write_report(tmp_path).recommendation.headline
    assert ("No recommendation: 2 of 4 policy points have no complete run and 1 lacks some of the "
            "sweep's seeds (") in headline
    assert f"{LEVER}=0.7 (2 of 3 seeds)" in headline
