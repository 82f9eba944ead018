"""``livesim-report``: exit codes, messages for policy analysts, no tracebacks for user errors."""

from __future__ import annotations

import pytest
from report_fixtures import LEVER, core_metrics, make_sweep

import livesim.report.cli
from livesim.report.cli import main


def test_cli_writes_the_report_and_prints_the_recommendation(tmp_path, capsys):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(3), metrics=core_metrics)
    assert main([str(tmp_path), "--max-harm", "1200"]) == 0
    out = capsys.readouterr().out
    assert f"Report written to {tmp_path / 'report.html'}" in out
    assert f"Recommended: {LEVER}=0.5" in out


def test_cli_missing_directory_exits_2_with_a_message_not_a_traceback(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "livesim-report: error:" in err and "does not exist" in err
    assert "Traceback" not in err


def test_cli_unknown_baseline_exits_2_and_lists_the_points(tmp_path, capsys):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(2))
    assert main([str(tmp_path), "--baseline", f"{LEVER}=0.6"]) == 2
    err = capsys.readouterr().err
    assert "matches no point" in err and f"{LEVER}=0.5" in err and f"{LEVER}=0.9" in err


def test_cli_empty_directory_exits_2(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "No runs found" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["DIR", "--max-fp-rate", "5"], ["DIR", "--max-harm", "lots"],
                                  ["DIR", "--max-harm", "-1"], []])
def test_cli_rejects_bad_options_with_exit_2(tmp_path, capsys, argv):
    assert main([str(tmp_path) if a == "DIR" else a for a in argv]) == 2
    assert "error" in capsys.readouterr().err


def test_cli_help_exits_0_and_explains_the_outputs(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--baseline" in out and "report.html" in out and "95 %" in out


def test_cli_ctrl_c_ends_with_one_line_and_exit_130(tmp_path, capsys, monkeypatch):
    make_sweep(tmp_path, thresholds=(0.5, 0.9), seeds=range(2), metrics=core_metrics)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(livesim.report.cli, "write_report", interrupted)
    assert main([str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert err.startswith("livesim-report: interrupted;") and err.count("\n") == 1 and "Traceback" not in err
