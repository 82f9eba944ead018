"""What `livesim` and `livesim-check` say when the command line or a scenario file is wrong, or on Ctrl-C.

The README's promise: a typo, a wrong type or an out-of-range value stops the run before any work
with one paragraph naming the key and what it allows (exit 2), and nothing is written. Bad input is
checked in-process through the entry points with an argv (it never reaches Hydra's run); a
valid run and the interrupts go through the console scripts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import livesim.cli as cli
from livesim.cli import check_main, main

LIVESIM = str(Path(sys.executable).with_name("livesim"))
FAST = ["population=small", "days=1"]

TYPO_SCENARIO = "# @package _global_\nactors:\n  ring:\n    funder_shar: 0.01\n"


def livesim_error(monkeypatch, tmp_path: Path, capsys, *argv: str) -> str:
    """Run `livesim argv` in ``tmp_path``; it must stop with exit 2, one line on stderr and no files."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["livesim"])
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    out, err = capsys.readouterr()
    assert stop.value.code == 2, err
    assert out == ""
    assert err.startswith("livesim: ") and err.count("\n") == 1, err  # one paragraph
    assert "Traceback" not in err and "Config search path" not in err and "HYDRA_FULL_ERROR" not in err
    assert sorted(tmp_path.rglob("*")) == before  # no run folder, nothing written
    return err


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # 1. a typo in a key: the keys allowed there, and the nearest one
        ("policy.risk_treshold=0.8", ["Unknown config key `policy.risk_treshold`.",
                                      "Did you mean `policy.risk_threshold`?",
                                      "Keys allowed under `policy`: action, age_gate_strength,"]),
        ("+policy.risk_treshold=0.8", ["Unknown config key `policy.risk_treshold`."]),
        ("actors.ring.funder_shar=0.1", ["Did you mean `actors.ring.funder_share`?",
                                         "Keys allowed under `actors.ring`: creators_per_ring,"]),
        ("actors.ring=5", ["`actors.ring` is a section of the config, not a value",
                           "Keys under `actors.ring`: creators_per_ring,"]),
        # 2. a wrong type: the key, its meaning and what it allows, as in a sweep
        ("policy.risk_threshold=high", ["Invalid value 'high' for `policy.risk_threshold` — calibrated risk",
                                        "Allowed: a number in [0, 1] (or null to switch it off)."]),
        ("days=2.5", ["Invalid value 2.5 for `days`", "Allowed: an integer in [1, 3650]."]),
        ("days=7.0", ["Allowed: an integer in [1, 3650]. Write it as a whole number: `days=7`."]),
        ("seed=abc", ["Invalid value 'abc' for `seed` — the random seed (drives every stream)."]),
        ("policy.hold_on_review=maybe", ["Invalid value 'maybe' for `policy.hold_on_review`",
                                         "Allowed: true or false."]),
        ("actors.ring.pattern=zigzag", ["`actors.ring.pattern` — how funders route gifts to ring creators. "
                                        "Allowed: one of 'fan_in', 'fan_out', 'layered'."]),
        # 7. a big bound printed as the number it is
        ("seed=9223372036854775808", ["Allowed: an integer in [0, 9223372036854775807]."]),
        # 3. null for a whole config group
        ("policy=null", ["`policy=null`: `policy` is a config group",
                         "Available options in 'policy': baseline, lenient, none, strict."]),
        ("scenario=null", ["`scenario=null`", "Available options in 'scenario': adaptive_adversary, baseline_mix,"]),
        # 5. an unknown option of a group
        ("scenario=laundring_ring", ["No scenario named `laundring_ring` (`scenario=laundring_ring`). Did you mean "
                                     "`scenario=laundering_ring`? Available options in 'scenario': "]),
        ("scenario=nope", ["No scenario named `nope`", "Available options in 'scenario': adaptive_adversary,",
                           "A scenario is one YAML file in scenarios/"]),
        ("population=huge", ["Available options in 'population': default, large, small."]),
        ("hydra/launcher=nope", ["Available options in 'hydra/launcher': basic, joblib."]),
        # and the rest of what a command line can get wrong
        ("policy.risk_threshold=0.7,0.8", ["gives several values, which makes it a sweep: add -m"]),
        ("~policy.risk_threshold", ["would remove `policy.risk_threshold`",
                                    "or `policy.risk_threshold=null` to switch it off"]),
        ("+days=3", ["drop the `+` (`days=...`)"]),
        ("risk_threshold", ["Cannot read the argument `risk_threshold`", "Arguments are key=value"]),
        ("policy.risk_threshold=0.7=1", ["Cannot read the argument `policy.risk_threshold=0.7=1` "
                                         "(mismatched input '=' expecting <EOF>)"]),
        ("hydra.foo=1", ["Unknown Hydra setting `hydra.foo`"]),
    ],
)
def test_bad_command_line_stops_with_one_paragraph_exit_2_and_no_files(monkeypatch, tmp_path, capsys, override,
                                                                        expected):
    err = livesim_error(monkeypatch, tmp_path, capsys, *FAST, override)
    for text in expected:
        assert text in err, err
    assert " is the the " not in err and "e+18" not in err and "To append to your config" not in err


def test_a_glob_sweep_that_matches_no_option_says_so(monkeypatch, tmp_path, capsys):
    err = livesim_error(monkeypatch, tmp_path, capsys, "-m", *FAST, "scenario=glob(laundring*)")
    assert ("`scenario=glob(laundring*)` matches no scenario, so the sweep would have no run. Available options "
            "in 'scenario': adaptive_adversary,") in err, err  # it was an IndexError


def test_livesim_check_gives_the_same_paragraphs(capsys):
    assert check_main(["policy.risk_treshold=0.8"]) == 2
    assert "livesim-check: Unknown config key `policy.risk_treshold`. Did you mean" in capsys.readouterr().err
    assert check_main(["policy=null"]) == 2
    assert "Available options in 'policy': baseline, lenient, none, strict." in capsys.readouterr().err
    assert check_main(["seed=abc"]) == 2
    assert "Allowed: an integer in [0, 9223372036854775807]." in capsys.readouterr().err


# 4. a data scientist's own scenario file, found through hydra.searchpath as the README says


@pytest.fixture
def own_scenarios(tmp_path):
    folder = tmp_path / "mine" / "scenario"
    folder.mkdir(parents=True)
    return folder


def searchpath(folder: Path) -> str:
    return f"hydra.searchpath=[file://{folder.parent}]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TYPO_SCENARIO, ["In mine/scenario/case.yaml: Unknown config key `actors.ring.funder_shar`.",
                         "Did you mean `actors.ring.funder_share`?",
                         "Keys allowed under `actors.ring`: creators_per_ring, daily_budget, funder_share,"]),
        ("actors:\n  ring:\n    funder_share: 0.01\n",
         ["mine/scenario/case.yaml does not start with the line `# @package _global_`",
          "Make `# @package _global_` the file's first line"]),
        ("# @package _global_\nactors:\n  ring:\n    funder_share: high\n",
         ["In mine/scenario/case.yaml: Invalid value 'high' for `actors.ring.funder_share`",
          "Allowed: a number in [0, 0.5]."]),
        ("# @package _global_\nactors:\n  ring:\n    funder_share: 0.9\n",
         ["In mine/scenario/case.yaml: Invalid value 0.9 for `actors.ring.funder_share`"]),
    ],
)
def test_a_mistake_in_a_scenario_file_names_the_file_and_the_key(monkeypatch, tmp_path, capsys, own_scenarios,
                                                                  text, expected):
    (own_scenarios / "case.yaml").write_text(text)
    err = livesim_error(monkeypatch, tmp_path, capsys, *FAST, "scenario=case", searchpath(own_scenarios))
    for part in expected:
        assert part in err, err


def test_a_scenario_file_that_sets_policy_keys_is_refused(monkeypatch, tmp_path, capsys, own_scenarios):
    # Its values would silently replace those of the policy chosen with policy=….
    (own_scenarios / "case.yaml").write_text("# @package _global_\npolicy:\n  risk_threshold: 0.7\n")
    err = livesim_error(monkeypatch, tmp_path, capsys, *FAST, "scenario=case", "policy=strict",
                        searchpath(own_scenarios))
    assert err.startswith("livesim: mine/scenario/case.yaml sets `policy.risk_threshold` (in the file, or through "
                          "its defaults list): a scenario describes the simulated world"), err
    assert "Put them in a policy file (configs/policy/, see README) or on the command line" in err


def test_a_scenario_that_picks_a_policy_through_its_defaults_list_is_refused(monkeypatch, tmp_path, capsys,
                                                                             own_scenarios):
    (own_scenarios / "case.yaml").write_text("# @package _global_\ndefaults:\n  - override /policy: strict\n"
                                             "actors:\n  ring:\n    funder_share: 0.001\n")
    err = livesim_error(monkeypatch, tmp_path, capsys, *FAST, "scenario=case", searchpath(own_scenarios))
    assert err.startswith("livesim: mine/scenario/case.yaml sets `policy.name`, `policy.risk_threshold`,"), err


@pytest.fixture
def own_policies(tmp_path):
    folder = tmp_path / "mine" / "policy"
    folder.mkdir(parents=True)
    return folder


def test_a_policy_file_with_a_global_package_line_says_to_remove_it(monkeypatch, tmp_path, capsys, own_policies):
    (own_policies / "teen_safe.yaml").write_text("# @package _global_\nname: teen_safe\nrisk_threshold: 0.7\n")
    err = livesim_error(monkeypatch, tmp_path, capsys, *FAST, "policy=teen_safe", searchpath(own_policies))
    assert err.startswith("livesim: mine/policy/teen_safe.yaml starts with the line `# @package _global_`"), err
    assert "with no `# @package` line, as in configs/policy/strict.yaml: remove that line." in err


def test_a_policy_is_labelled_by_its_file_s_name_key_or_else_by_its_option(own_policies):
    from livesim.command_line import check_command_line

    (own_policies / "teen_safe.yaml").write_text("risk_threshold: 0.7\n")
    (own_policies / "named.yaml").write_text("name: teen_safe_v2\nrisk_threshold: 0.7\n")
    where = searchpath(own_policies)
    unnamed = check_command_line(["policy=teen_safe", where])
    assert (unnamed.policy.name, unnamed.policy.risk_threshold) == ("teen_safe", 0.7)  # not the schema's 'baseline'
    assert check_command_line(["policy=named", where]).policy.name == "teen_safe_v2"
    assert check_command_line(["policy=teen_safe", "policy.name=trial_3", where]).policy.name == "trial_3"
    assert check_command_line(["~policy"]).policy.name == "baseline"  # no policy option: the schema's own
    assert [check_command_line([f"policy={o}"]).policy.name for o in ("baseline", "strict", "none", "lenient")] == [
        "baseline", "strict", "none", "lenient"]


def test_a_scenario_file_that_is_not_yaml_is_named_with_its_line_first(monkeypatch, tmp_path, capsys, own_scenarios):
    (own_scenarios / "case.yaml").write_text("# @package _global_\nactors:\n  ring:\n    funder_share: 0.01\n"
                                             "   pattern: fan_in\n")
    err = livesim_error(monkeypatch, tmp_path, capsys, *FAST, "scenario=case", searchpath(own_scenarios))
    assert err.startswith("livesim: mine/scenario/case.yaml, line 5, column 4: not valid YAML:"), err
    assert "Check the indentation" in err


def test_a_sweep_over_a_broken_scenario_stops_before_any_run(monkeypatch, tmp_path, capsys, own_scenarios):
    (own_scenarios / "case.yaml").write_text(TYPO_SCENARIO)
    err = livesim_error(monkeypatch, tmp_path, capsys, "-m", *FAST, "scenario=benign,case", searchpath(own_scenarios))
    assert "In mine/scenario/case.yaml: Unknown config key `actors.ring.funder_shar`." in err
    assert err.rstrip().endswith("(no run of this sweep was started)")


def test_a_bad_value_in_a_sweep_is_the_same_paragraph(monkeypatch, tmp_path, capsys):
    err = livesim_error(monkeypatch, tmp_path, capsys, "-m", *FAST, "policy.risk_threshold=0.7,high")
    assert "Invalid value 'high' for `policy.risk_threshold`" in err
    assert "(no run of this sweep was started)" in err


def test_a_sweep_whose_values_break_a_rule_only_together_stops_before_any_run(monkeypatch, tmp_path, capsys):
    # Each value is fine alone; suspending at 3 strikes but restricting at 5 is not.
    err = livesim_error(monkeypatch, tmp_path, capsys, "-m", *FAST, "policy.strikes_to_restrict=1,5",
                        "policy.strikes_to_suspend=3", "seed=0,1")
    assert "The sweep's run with `policy.strikes_to_restrict=5 seed=0` is invalid:" in err
    assert "`policy.strikes_to_suspend` must be ≥ `policy.strikes_to_restrict` (got 3 < 5)" in err
    assert err.rstrip().endswith("(no run of this sweep was started)")


def test_a_glob_sweep_over_a_config_group_is_checked_like_a_list():
    from livesim.command_line import check_command_line

    # Listing a group's options for glob() needs Hydra's config loader (it raised HydraException).
    assert check_command_line(["policy=glob(*)", *FAST], multirun=True).population.viewers == 10_000


def test_a_good_scenario_file_and_lenient_spellings_still_run(tmp_path, own_scenarios):
    (own_scenarios / "case.yaml").write_text("# @package _global_\nactors:\n  ring:\n    funder_share: 0.01\n")
    out = subprocess.run([LIVESIM, *FAST, "scenario=case", searchpath(own_scenarios), "policy.name=5",
                          "policy.hold_on_review=yes", "hydra.run.dir=run"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    config = json.loads((tmp_path / "run" / "summary.json").read_text())["config"]
    assert config["scenario"] == "case" and config["actors"]["ring"]["funder_share"] == 0.01
    assert config["policy"]["name"] == "5" and config["policy"]["hold_on_review"] is True


# 6. Ctrl-C: one line, exit 130, no traceback


def interrupt(tmp_path: Path, args: list[str], ready) -> subprocess.CompletedProcess:
    """Start `livesim args`, send it SIGINT once ``ready(stderr so far)`` holds, and collect it."""
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err_file:
        proc = subprocess.Popen([LIVESIM, *args], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err_file,
                                text=True)
        deadline = time.time() + 240
        while not ready(err_path.read_text()) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted: " + err_path.read_text()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err_path.read_text())


MESA_RUN = ["engine=mesa", "population.viewers=50000", "population.creators=1000", "days=30"]


@pytest.mark.slow
def test_ctrl_c_in_a_run_says_so_in_one_line(tmp_path):
    out = interrupt(tmp_path, [*MESA_RUN, "hydra.run.dir=run"], lambda err: "day 3/30" in err)
    assert out.returncode == 130, out.stderr
    assert "Traceback" not in out.stderr and "KeyboardInterrupt" not in out.stderr
    assert out.stderr.rstrip().splitlines()[-1] == "livesim: interrupted; the run did not finish and wrote no summary.json"
    assert not (tmp_path / "run" / "summary.json").exists()


@pytest.mark.slow
def test_ctrl_c_in_a_sweep_says_how_to_resume_it(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ["-m", "engine=mesa", "population.viewers=20000", "population.creators=400", "days=5", "seed=range(0,8)",
            f"hydra.sweep.dir={sweep_dir}"]
    out = interrupt(tmp_path, args, lambda err: "[1/8] runs complete" in err)
    assert out.returncode == 130, out.stderr
    assert "Traceback" not in out.stderr and "KeyboardInterrupt" not in out.stderr
    assert out.stderr.rstrip().splitlines()[-1] == (
        "livesim: interrupted; finished runs are kept — resume with: livesim -m engine=mesa "
        "population.viewers=20000 population.creators=400 days=5 'seed=range(0,8)' "
        f"hydra.sweep.dir={sweep_dir.resolve()}")
    assert list(sweep_dir.glob("*/summary.json"))  # the finished run is kept


@pytest.mark.slow
def test_livesim_check_on_ctrl_c_exits_130(tmp_path):
    check = str(Path(sys.executable).with_name("livesim-check"))
    proc = subprocess.Popen([check, *MESA_RUN], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    first = proc.stdout.readline()  # printed once the config is checked, as the first run starts
    assert first.startswith("livesim-check: scenario") and time.time() < deadline
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "livesim-check: interrupted (it writes nothing, so nothing is left behind)"
    assert list(tmp_path.iterdir()) == []


def _hydra_exits_with_its_own_error():
    # A SIGINT landing while Hydra sets a job up can come out as Hydra's error and exit status 1.
    print("Error in call to target ...", file=sys.stderr)
    sys.exit(1)


def _hydra_raises_a_composition_error():
    # Seen in a sweep: the KeyboardInterrupt hit omegaconf's clean-up while Hydra composed the next
    # job's config, and came out as a ConfigCompositionException (the flaky Ctrl-C test above).
    from hydra.errors import ConfigCompositionException

    raise ConfigCompositionException("'NoneType' object has no attribute '_invalidate_flags_cache'")


@pytest.mark.parametrize("hydra_reaction", [_hydra_exits_with_its_own_error, _hydra_raises_a_composition_error])
def test_a_ctrl_c_that_hydra_turns_into_its_own_error_still_reads_as_an_interrupt(monkeypatch, capsys,
                                                                                   hydra_reaction):
    def interrupted_sweep():
        cli._INTERRUPTED.append(True)  # what the SIGINT handler records
        hydra_reaction()

    monkeypatch.setattr(cli, "_INTERRUPTED", [])
    monkeypatch.setattr(cli, "check_command_line", lambda *a, **k: None)
    monkeypatch.setattr(cli, "_app", interrupted_sweep)
    with pytest.raises(SystemExit) as stop:
        main(["-m", "seed=0,1"])
    assert stop.value.code == 130
    err = capsys.readouterr().err
    assert err.rstrip().splitlines()[-1].startswith("livesim: interrupted; finished runs are kept")
    assert "ConfigCompositionException" not in err


def test_a_warning_is_one_line_of_the_command_not_a_source_line(tmp_path):
    out = subprocess.run([LIVESIM, "population.viewers=5000", "days=1", "hydra.run.dir=run"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "livesim: warning: actors.ring.funder_share=0.0001 × population.viewers=5,000 rounds to 0" in out.stderr
    assert "UserWarning" not in out.stderr and ".py:" not in out.stderr


def test_a_ctrl_c_before_any_job_of_this_process_still_names_the_sweep_folder(monkeypatch, capsys, tmp_path):
    # Before the first job ends (or with the jobs in joblib workers) only the sweep's start knows it.
    def interrupted_after_the_sweep_started():
        cli.STARTED_SWEEP["dir"] = tmp_path
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_LAST_JOB", {})
    monkeypatch.setattr(cli, "STARTED_SWEEP", {})
    monkeypatch.setattr(cli, "check_command_line", lambda *a, **k: None)
    monkeypatch.setattr(cli, "_app", interrupted_after_the_sweep_started)
    with pytest.raises(SystemExit) as stop:
        main(["-m", "seed=0,1"])
    assert stop.value.code == 130
    assert capsys.readouterr().err.rstrip().endswith(f"hydra.sweep.dir={tmp_path} to resume")


def test_an_earlier_interrupt_in_the_process_does_not_turn_a_later_error_into_one(monkeypatch, tmp_path, capsys):
    cli._INTERRUPTED.append(True)  # left behind by an earlier call in this process
    err = livesim_error(monkeypatch, tmp_path, capsys, "days=-1")
    assert "Invalid value -1 for `days`" in err and "interrupted" not in err
    assert signal.getsignal(signal.SIGINT) is not cli._note_interrupt  # the caller's handler is back


def test_a_ctrl_c_while_the_command_is_still_importing_is_one_line_too(monkeypatch, capsys):
    import livesim.commands as commands

    def interrupted_import(name):
        raise KeyboardInterrupt  # what a Ctrl-C during numpy's, scipy's or Hydra's import raises

    monkeypatch.setattr(commands.importlib, "import_module", interrupted_import)
    for command in (commands.livesim, commands.livesim_check, commands.livesim_report):
        with pytest.raises(SystemExit) as stop:
            command()
        assert stop.value.code == 130
    err = capsys.readouterr().err
    assert err.splitlines() == [f"{name}: interrupted while starting; nothing was run or written"
                                for name in ("livesim", "livesim-check", "livesim-report")]


def test_showing_the_resolved_config_makes_no_run_folder(tmp_path):
    out = subprocess.run([LIVESIM, "--cfg", "all", "--resolve"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "dir: results/runs/" in out.stdout and list(tmp_path.iterdir()) == []


def test_a_sweep_that_hydra_stops_says_its_finished_runs_are_kept_and_how_to_resume(monkeypatch, tmp_path, capsys):
    # A job that raises outside the run itself (as a killed joblib worker does in the parent):
    # Hydra reports the error and exits 1 before the sweep's end.
    def broken(*args, **kwargs):
        raise RuntimeError("job machinery broke")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "finished_run", broken)
    with pytest.raises(SystemExit) as stop:
        main(["-m", *FAST, "seed=0,1", "hydra.sweep.dir=sweep"])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    sweep_dir = tmp_path / "sweep"
    assert err.splitlines()[-1] == (
        f"livesim: the sweep stopped before its end: RuntimeError: job machinery broke (traceback in "
        f"{sweep_dir / 'error.txt'}); finished runs are kept — resume with: livesim -m {' '.join(FAST)} "
        f"seed=0,1 hydra.sweep.dir={sweep_dir}")
    assert "Traceback" not in err and "HYDRA_FULL_ERROR" not in err
    assert "RuntimeError: job machinery broke" in (sweep_dir / "error.txt").read_text()
    assert os.environ.get("HYDRA_FULL_ERROR") != "1"  # put back as it was


@pytest.mark.filterwarnings("ignore:.*declarative_base:DeprecationWarning")  # inside optuna 2
def test_a_failed_trial_of_the_tradeoff_search_does_not_stop_the_search(monkeypatch, tmp_path, capsys):
    from hydra.core.hydra_config import HydraConfig

    real = cli.run_to_dir

    def fails_in_trial_1(params, out_dir, **kwargs):
        if HydraConfig.get().job.num == 1:
            raise MemoryError("simulated")
        return real(params, out_dir, **kwargs)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "run_to_dir", fails_in_trial_1)
    with pytest.raises(SystemExit) as stop:
        main(["-m", "hydra/sweeper=tradeoff_search", "hydra.sweeper.n_trials=3", *FAST, "hydra.sweep.dir=search"])
    out, err = capsys.readouterr()
    assert "Study name" in out and "alembic" not in out + err  # Optuna's storage setup is not logged
    assert stop.value.code == 1, err[-3000:]
    assert "livesim: run 1 (" in err and "failed: MemoryError: simulated" in err
    assert "Traceback" not in err
    sweep_dir = tmp_path / "search"
    assert len(list(sweep_dir.glob("*/summary.json"))) == 2  # trials 0 and 2 ran
    assert (sweep_dir / "optimization_results.yaml").is_file()
    assert (sweep_dir / "report.md").read_text().startswith("# INCOMPLETE")


@pytest.mark.parametrize("days_done", [0, 1])
def test_a_failed_single_run_on_a_terminal_ends_an_unfinished_day_line_and_nothing_else(
        monkeypatch, tmp_path, capsys, days_done):
    def fails(params, out_dir, progress=None, **kwargs):
        if days_done:
            progress(days_done, params.days)
        raise MemoryError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "run_to_dir", fails)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with pytest.raises(SystemExit) as stop:
        main(["population=small", "days=3", "hydra.run.dir=run"])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    before = "\r  day 1/3\n" if days_done else "engine…\n"
    assert f"{before}livesim: the run failed: MemoryError (traceback in " in err
