"""Reading a sweep directory: runs table, point labels, missing and failed runs."""

from __future__ import annotations

import json
import math

import pytest
from report_fixtures import COMMAND, LEVER, make_sweep, metrics_for, write_run

from livesim.report.aggregate import (
    ReportError,
    load_sweep,
    normalize_value,
    parse_override,
    parse_point_spec,
)


def test_runs_table_has_one_row_per_complete_run_with_lever_seed_and_metrics(tmp_path):
    written = make_sweep(tmp_path)
    sweep = load_sweep(tmp_path)
    assert len(sweep.runs) == len(written) == 20
    assert list(sweep.runs.columns[:4]) == ["run_dir", "point", LEVER, "seed"]
    assert sweep.levers == (LEVER,)
    assert sweep.points == tuple(f"{LEVER}={t}" for t in (0.5, 0.7, 0.8, 0.9))
    row = sweep.runs[(sweep.runs[LEVER] == 0.8) & (sweep.runs["seed"] == 3)].iloc[0]
    assert row["revenue.platform_net"] == pytest.approx(metrics_for(0.8, 3)["revenue.platform_net"])
    assert sweep.missing.empty
    assert sweep.provenance.sweep_command == COMMAND and sweep.provenance.run_command is None
    assert sweep.provenance.versions == ("0.1.0",)


def test_float_lever_spelled_with_roundoff_groups_with_its_rounded_value(tmp_path):
    make_sweep(tmp_path, thresholds=(0.5, 0.7), seeds=range(4),
               text={(0.7, 1): "0.7000000000000001", (0.7, 2): "0.70"})
    sweep = load_sweep(tmp_path)
    assert sweep.points == (f"{LEVER}=0.5", f"{LEVER}=0.7")
    assert (sweep.runs["point"] == f"{LEVER}=0.7").sum() == 4


def test_failed_run_is_listed_with_the_first_line_of_error_txt(tmp_path):
    make_sweep(tmp_path, fail={(0.8, 2): "RuntimeError: detector diverged\nTraceback ..."})
    sweep = load_sweep(tmp_path)
    assert len(sweep.runs) == 19
    (row,) = sweep.missing.itertuples(index=False)
    assert row.point == f"{LEVER}=0.8" and row.seed == 2
    assert row.reason == "failed: RuntimeError: detector diverged"


def test_incomplete_run_without_error_txt_is_listed_as_incomplete(tmp_path):
    make_sweep(tmp_path, fail={(0.5, 0): None})
    assert load_sweep(tmp_path).missing.iloc[0]["reason"].startswith("incomplete")


def test_run_that_never_started_is_listed_from_multirun_yaml(tmp_path):
    make_sweep(tmp_path, skip={(0.9, 4)})
    sweep = load_sweep(tmp_path)
    (row,) = sweep.missing.itertuples(index=False)
    assert (row.run_dir, row.point, row.seed) == ("", f"{LEVER}=0.9", 4)
    assert "never started" in row.reason


def test_without_multirun_yaml_absent_runs_cannot_be_detected(tmp_path):
    make_sweep(tmp_path, skip={(0.9, 4)}, multirun=False)
    assert load_sweep(tmp_path).missing.empty


def test_per_run_commands_leave_the_sweep_command_to_multirun_yaml(tmp_path):
    for seed in range(2):
        write_run(tmp_path / str(seed), [f"{LEVER}=0.5", f"seed={seed}"], seed,
                  metrics_for(0.5, seed), command=f"livesim {LEVER}=0.5 seed={seed}")
    (tmp_path / "multirun.yaml").write_text(
        f"hydra:\n  overrides:\n    hydra: [hydra.mode=MULTIRUN, hydra/launcher=joblib]\n"
        f"    task: [{LEVER}=0.5, 'seed=range(0,2)']\n")
    prov = load_sweep(tmp_path).provenance
    assert prov.sweep_command == (f"livesim -m {LEVER}=0.5 'seed=range(0,2)' "
                                  "hydra/launcher=joblib")
    assert prov.run_command == f"livesim {LEVER}=0.5 seed=0"


def test_null_metric_is_nan_not_dropped(tmp_path):
    make_sweep(tmp_path, seeds=range(2))
    runs = load_sweep(tmp_path).runs
    assert runs["enforcement.recall"].isna().all()
    assert len(runs) == 8


def test_override_shared_by_every_run_is_fixed_not_a_lever(tmp_path):
    for i, t in enumerate((0.5, 0.9)):
        write_run(tmp_path / str(i), [f"{LEVER}={t}", "scenario=laundering_ring", "seed=0"], 0,
                  metrics_for(t, 0))
    sweep = load_sweep(tmp_path)
    assert sweep.levers == (LEVER,)
    assert sweep.fixed == {"scenario": "laundering_ring"}
    assert sweep.points == (f"{LEVER}=0.5", f"{LEVER}=0.9")


def test_nonzero_ledger_imbalance_is_noted(tmp_path):
    metrics = metrics_for(0.5, 0) | {"ledger.imbalance": 12.5}
    write_run(tmp_path / "0", [f"{LEVER}=0.5", "seed=0"], 0, metrics)
    (note,) = load_sweep(tmp_path).notes
    assert "ledger.imbalance" in note and "12.5" in note


def test_unreadable_summary_json_is_a_missing_run(tmp_path):
    make_sweep(tmp_path, thresholds=(0.5,), seeds=range(2), multirun=False)
    (tmp_path / "1" / "summary.json").write_text("{not json")
    sweep = load_sweep(tmp_path)
    assert len(sweep.runs) == 1
    assert sweep.missing.iloc[0]["reason"].startswith("unreadable summary.json")


def test_summary_with_other_status_is_a_missing_run(tmp_path):
    make_sweep(tmp_path, thresholds=(0.5,), seeds=range(2), multirun=False)
    path = tmp_path / "0" / "summary.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | {"status": "aborted"}))
    assert load_sweep(tmp_path).missing.iloc[0]["reason"] == "status 'aborted' in summary.json"


def test_missing_directory_is_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        load_sweep(tmp_path / "nope")


def test_directory_without_runs_is_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="No runs found"):
        load_sweep(tmp_path)


@pytest.mark.parametrize(("text", "value"), [
    ("0.7000000000000001", 0.7), ("0.9500000000000001", 0.95), ("3", 3), ("null", None),
    ("true", True), ("'a b'", "a b"), ("laundering_ring", "laundering_ring"), ("1e-3", 0.001),
])
def test_normalize_value(text, value):
    assert normalize_value(text) == value and type(normalize_value(text)) is type(value)


def test_normalize_value_keeps_non_finite_floats():
    assert math.isinf(normalize_value("inf"))


def test_parse_override_strips_hydra_prefixes_and_skips_hydra_settings():
    assert parse_override("+policy.risk_threshold=0.85") == ("policy.risk_threshold", 0.85)
    assert parse_override("++seed=2") == ("seed", 2)
    assert parse_override("hydra/launcher=joblib") is None
    assert parse_override("~policy.daily_gift_cap") is None


def test_parse_point_spec_accepts_spaces_or_commas():
    expected = {"policy.risk_threshold": 0.8, "policy.payout_hold_days": 14}
    assert parse_point_spec("policy.risk_threshold=0.8 policy.payout_hold_days=14") == expected
    assert parse_point_spec("policy.risk_threshold=0.8,policy.payout_hold_days=14") == expected
    with pytest.raises(ReportError):
        parse_point_spec("0.8")



def test_hydra_float_range_sweep_matches_runs_spelled_with_roundoff(tmp_path):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    sweep_text = "range(0.5,0.96,0.05)"
    spelled = list(OverridesParser.create().parse_override(f"x={sweep_text}")
                   .sweep_string_iterator())
    assert "0.7000000000000001" in spelled
    for i, text in enumerate(spelled[:-1]):  # the last job never started
        write_run(tmp_path / str(i), [f"+{LEVER}={text}", "seed=0"], 0, metrics_for(0.5, 0))
    (tmp_path / "multirun.yaml").write_text(
        f"hydra:\n  overrides:\n    task:\n    - +{LEVER}={sweep_text}\n    - seed=0\n")
    sweep = load_sweep(tmp_path)
    assert f"{LEVER}=0.7" in sweep.points and len(sweep.points) == 9
    assert sweep.missing["point"].tolist() == [f"{LEVER}=0.95"]
    assert not sweep.notes


def test_summary_without_status_is_a_missing_run_not_a_complete_one(tmp_path):
    make_sweep(tmp_path, thresholds=(0.5,), seeds=range(2), multirun=False)
    path = tmp_path / "0" / "summary.json"
    summary = json.loads(path.read_text())
    del summary["status"]
    path.write_text(json.dumps(summary))
    sweep = load_sweep(tmp_path)
    assert list(sweep.runs["seed"]) == [1]
    (row,) = sweep.missing.itertuples(index=False)
    assert (row.run_dir, row.seed) == ("0", 0)  # still identified from the summary's own record
    assert row.reason == "summary.json has no status (a finished run's is 'complete')"


def test_close_but_different_lever_levels_stay_apart(tmp_path):
    make_sweep(tmp_path, thresholds=(1234567.0, 1234568.0), seeds=range(2), metrics=lambda t, s: metrics_for(0.5, s))
    assert len(load_sweep(tmp_path).points) == 2  # six significant digits merged them into 1234570


def test_a_failed_run_of_a_sweep_that_does_not_vary_the_seed_still_names_its_seed(tmp_path):
    from livesim.report.aggregate import _read_run

    run_dir = tmp_path / "policy.risk_threshold=0.9"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("- policy.risk_threshold=0.9\n")
    (run_dir / ".hydra" / "config.yaml").write_text("seed: 4\npolicy:\n  risk_threshold: 0.9\n")
    (run_dir / "error.txt").write_text("MemoryError\n\nTraceback ...\n")
    run = _read_run(tmp_path, run_dir)
    assert run.seed == 4 and run.reason == "failed: MemoryError"
