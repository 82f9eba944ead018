"""Find the runs of a sweep and tabulate them: one row per run, missing runs listed, never dropped.

A *policy point* is the set of overrides a run was given other than ``seed``; its label is those
overrides in Hydra's own syntax (``policy.risk_threshold=0.85 policy.payout_hold_days=14``), so
that a label can be pasted back into ``--baseline`` or onto a ``livesim`` command line. Only keys
whose value differs between runs (the *levers*) appear in labels; overrides shared by every run
are reported separately as fixed settings.

Only policy settings are levers (:func:`is_policy_key`). Overrides that define the simulated world
instead — the scenario, population, economy, adversaries, the detector's true accuracy, run length,
engine — split a sweep into *worlds*: points are compared (and paired by seed) only within a world,
never across, and are never recommended as a policy.

A report covers one sweep: a directory holding several sweep folders, or a single run folder, is
refused rather than pooled (:func:`load_sweep`).
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from livesim.results import ERROR_FILE, SUMMARY, SWEEP_STATE, TIMESERIES, check_summary, read_sweep_state

__all__ = [
    "SEED",
    "WORLD",
    "Coverage",
    "Provenance",
    "ReportError",
    "Sweep",
    "Value",
    "daily_means",
    "format_override",
    "format_value",
    "is_policy_key",
    "load_sweep",
    "normalize_value",
    "parse_override",
    "parse_point_spec",
    "value_sort_key",
]

SEED = "seed"
WORLD = "world"
"""Column of the runs and missing tables naming a run's world, present when a sweep has several."""
SIG_DIGITS = 12
"""Float lever values are rounded to this many significant digits (Hydra's ``range`` gives
``0.7000000000000001``; fewer digits would merge levels such as caps of 1234567 and 1234568)."""

LEDGER_TOLERANCE = 1e-6
"""Largest ``ledger.imbalance`` (currency units, relative to the run's gross revenue, at least 1)
accepted as float round-off."""

Value = int | float | str | bool | None
"""A normalized override value."""


class ReportError(Exception):
    """A problem with the user's input (directory, options, sweep contents).

    Its message is one paragraph meant for the user; the CLI prints it without a traceback.
    """


_POLICY_DETECTION_PREFIXES = ("detection.rule_", "detection.velocity_")
_POLICY_DETECTION_KEYS = ("detection.auc", "detection.assumed_prevalence")


def is_policy_key(key: str) -> bool:
    """Whether an override sets the policy (a lever a report may compare and recommend).

    Policy keys are the ``policy`` group and every ``policy.*`` setting, and the detector
    settings the platform chooses: its calibration (``detection.auc``,
    ``detection.assumed_prevalence``) and its rules (``detection.rule_*``,
    ``detection.velocity_*``). Everything else except ``seed`` defines the simulated world:
    ``scenario``, ``population.*``, ``economy.*``, ``actors.*``, the detector's true accuracy
    (``detection.auc_<type>``, ``detection.persistence``), ``days``, ``engine``, config group
    choices other than ``policy``, and any key livesim does not know.
    """
    if key == "policy" or key.startswith("policy."):
        return True
    return key in _POLICY_DETECTION_KEYS or key.startswith(_POLICY_DETECTION_PREFIXES)


def normalize_value(text: str) -> Value:
    """Turn an override's value string into a comparable Python value.

    Parameters
    ----------
    text : str
        The right-hand side of ``key=value`` as Hydra writes it.

    Returns
    -------
    int, float, bool, str or None
        ``null`` becomes None, ``true``/``false`` booleans, integers int, other numbers float
        rounded to twelve significant digits (so ``0.7000000000000001`` equals ``0.7``); quoted
        strings lose their quotes; anything else stays a string.
    """
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    low = s.lower()
    if low == "null":
        return None
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    try:
        number = float(s)
    except ValueError:
        return s
    return float(f"{number:.{SIG_DIGITS}g}") if math.isfinite(number) else number


def format_value(value: Value) -> str:
    """Write a normalized value back in override syntax (``None`` → ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_override(key: str, value: Value) -> str:
    """One override as Hydra writes it: ``key=value``."""
    return f"{key}={format_value(value)}"


def parse_override(text: str) -> tuple[str, Value] | None:
    """Split one Hydra override string into its key and normalized value.

    Parameters
    ----------
    text : str
        E.g. ``"policy.risk_threshold=0.85"``, ``"+seed=3"`` or ``"scenario=laundering_ring"``.

    Returns
    -------
    tuple of (str, value) or None
        None for deletions (``~key``), strings without ``=`` and Hydra's own settings
        (``hydra.*``, ``hydra/...``), which are not policy levers.
    """
    s = text.strip()
    key, sep, value = s.partition("=")
    key = key.lstrip("+").strip()
    if not sep or s.startswith("~") or key == "hydra" or key.startswith(("hydra.", "hydra/")):
        return None
    return key, normalize_value(value)


def parse_point_spec(spec: str) -> dict[str, Value]:
    """Parse a point given by the user, e.g. ``"policy.risk_threshold=0.8 policy.action=suspend"``.

    Overrides may be separated by spaces or commas.

    Raises
    ------
    ReportError
        If a part is not of the form ``key=value``.
    """
    parts = [p for p in re.split(r"[,\s]+(?=[^=,\s]+=)", spec.strip()) if p]
    result: dict[str, Value] = {}
    for part in parts:
        parsed = parse_override(part)
        if parsed is None:
            raise ReportError(
                f"Cannot read {part!r} in {spec!r} as an override: write the point as key=value "
                "pairs, e.g. --baseline \"policy.risk_threshold=0.8\"."
            )
        result[parsed[0]] = parsed[1]
    if not result:
        raise ReportError(f"The point {spec!r} is empty: give key=value pairs.")
    return result


@dataclass(frozen=True)
class Provenance:
    """What the runs say about how they were made (unique values over complete runs).

    Attributes
    ----------
    sweep_command : str or None
        The command that ran the sweep: a ``summary.json`` ``command`` with ``-m``, else rebuilt
        from ``multirun.yaml``'s overrides.
    run_command : str or None
        The ``summary.json`` ``command`` of ``config_run`` when it is a single-run command.
    versions, git_commits : tuple of str
        livesim versions and git commits recorded by the runs (None when a run had no commit).
    scenarios, engines : tuple of str
        Config ``scenario`` and ``engine`` values.
    days : tuple of int
        Config ``days`` values (run length in days).
    config : dict or None
        The resolved config of one complete run, ``config_run``.
    config_run : str or None
        That run's directory, relative to the sweep directory.
    """

    sweep_command: str | None
    run_command: str | None
    versions: tuple[str, ...]
    git_commits: tuple[str | None, ...]
    scenarios: tuple[str, ...]
    engines: tuple[str, ...]
    days: tuple[int, ...]
    config: dict[str, Any] | None
    config_run: str | None


@dataclass(frozen=True)
class Sweep:
    """A sweep directory read into tables.

    Attributes
    ----------
    root : Path
        The sweep directory.
    runs : pandas.DataFrame
        One row per complete run: ``run_dir`` (relative to ``root``), ``world`` (only when the
        sweep has several worlds), ``point`` (label), one column per override key other than
        seed (levers first, then world keys, then fixed ones), ``seed``, then every metric
        (float; ``null`` → NaN).
    missing : pandas.DataFrame
        One row per incomplete, failed or never-started run: ``run_dir`` (empty if the run never
        started), ``world`` (only with several worlds), ``point``, ``seed``, ``reason``.
    levers : tuple of str
        Policy override keys (:func:`is_policy_key`) whose value differs between runs, in
        command order.
    fixed : dict
        Overrides every run shares (other than seed).
    points : tuple of str
        Labels of the points with at least one complete run, in sorted order. With several
        worlds the same label stands for the same policy in each world.
    point_values : dict
        Point label → its lever values (for every point seen, complete or not).
    metrics : tuple of str
        Metric keys, in the order the runs report them.
    seeds : tuple of int
        Seeds of the complete runs.
    provenance : Provenance
        Commands, versions and a resolved config.
    notes : tuple of str
        Anything odd found while reading (duplicates, mixed versions, ledger imbalance, runs that
        do not match ``multirun.yaml``), one sentence each, for the report.
    world_keys : tuple of str
        Non-policy override keys whose value differs between runs: they define different
        simulated worlds, which are compared separately. Empty for a one-world sweep.
    worlds : tuple of str
        World labels (``scenario=laundering_ring``) in sorted order, every world seen; ``("",)``
        for a one-world sweep.
    world_values : dict
        World label → its world-key values.
    planned : int or None
        How many runs the sweep set out to make, when the sweep folder records it
        (``multirun.yaml``'s grid, or the size livesim recorded at the sweep's start).
    """

    root: Path
    runs: pd.DataFrame
    missing: pd.DataFrame
    levers: tuple[str, ...]
    fixed: dict[str, Value]
    points: tuple[str, ...]
    point_values: dict[str, dict[str, Value]]
    metrics: tuple[str, ...]
    seeds: tuple[int, ...]
    provenance: Provenance
    notes: tuple[str, ...]
    world_keys: tuple[str, ...] = ()
    worlds: tuple[str, ...] = ("",)
    world_values: dict[str, dict[str, Value]] = field(default_factory=lambda: {"": {}})
    planned: int | None = None

    def short_label(self, point: str) -> str:
        """The lever value alone when a single lever is swept, else the full label."""
        if len(self.levers) == 1 and self.levers[0] in self.point_values.get(point, {}):
            return format_value(self.point_values[point][self.levers[0]])
        return point

    def world(self, label: str) -> Sweep:
        """The runs of one world, as a one-world sweep (its world keys become fixed settings).

        Parameters
        ----------
        label : str
            One of :attr:`worlds`.
        """
        if not self.world_keys:
            return self
        runs = (self.runs[self.runs[WORLD] == label].drop(columns=WORLD)
                .reset_index(drop=True))
        missing = (self.missing[self.missing[WORLD] == label].drop(columns=WORLD)
                   .reset_index(drop=True))
        seen = set(runs["point"]) | set(missing["point"])
        present = set(runs["point"])
        return replace(
            self, runs=runs, missing=missing,
            fixed={**self.world_values[label], **self.fixed},
            points=tuple(p for p in self.points if p in present),
            point_values={p: v for p, v in self.point_values.items() if p in seen},
            seeds=tuple(sorted({int(s) for s in runs[SEED]})),
            notes=(), world_keys=(), worlds=(label,),
            world_values={label: self.world_values[label]}, planned=None,
        )

    def coverage(self) -> Coverage:
        """How much of the sweep finished, per point (call it on one world: :meth:`world`)."""
        present = self.runs.groupby("point")[SEED].nunique().to_dict()
        wanted: dict[str, int] = {}
        for point in self.point_values:
            seeds = pd.concat([self.runs.loc[self.runs["point"] == point, SEED],
                               self.missing.loc[self.missing["point"] == point, SEED]])
            wanted[point] = int(seeds.dropna().nunique() + seeds.isna().sum())
        most = max(present.values(), default=0)
        order = sorted(self.point_values, key=self._point_key)
        seeds = {p: (int(present.get(p, 0)), max(wanted[p], most)) for p in order}
        found = len(self.runs) + len(self.missing)
        return Coverage(len(self.runs), max(found, self.planned or 0), seeds)

    def _point_key(self, point: str) -> tuple[tuple[int, Any], ...]:
        values = self.point_values[point]
        return tuple(value_sort_key(values.get(k, math.nan)) for k in self.levers)


@dataclass(frozen=True)
class Coverage:
    """How much of a sweep (or of one world of it) finished.

    Attributes
    ----------
    n_complete : int
        Complete runs.
    n_planned : int
        Runs the sweep set out to make: complete, failed, unfinished and never started (or the
        size the sweep recorded, when that is larger: a search whose unstarted trials cannot be
        listed).
    seeds : dict
        Every point seen, in sorted order → (seeds with a complete run, seeds it should have:
        those its runs were given, complete or not, and at least as many as any point has).
    """

    n_complete: int
    n_planned: int
    seeds: dict[str, tuple[int, int]]

    @property
    def incomplete(self) -> bool:
        """Whether some planned run did not complete."""
        return self.n_complete < self.n_planned

    @property
    def empty(self) -> tuple[str, ...]:
        """Points without a single complete run."""
        return tuple(p for p, (have, _) in self.seeds.items() if have == 0)

    @property
    def short(self) -> dict[str, tuple[int, int]]:
        """Points with some, but fewer complete seeds than they should have: (have, want)."""
        return {p: (have, want) for p, (have, want) in self.seeds.items() if 0 < have < want}


@dataclass
class _Run:
    """What one run directory (or one expected but absent run) tells us."""

    run_dir: str
    overrides: dict[str, Value]
    seed: int | None
    summary: dict[str, Any] | None
    reason: str | None  # None when the run is complete


def _natural_key(text: str) -> list[str | int]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def value_sort_key(value: Any) -> tuple[int, Any]:
    """Sort key for lever values: numbers numerically, then strings, then null/absent."""
    if isinstance(value, bool) or isinstance(value, str):
        return (1, str(value))
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        return (0, value)
    return (2, "")


def _overrides_dict(strings: Iterable[Any]) -> dict[str, Value]:
    result: dict[str, Value] = {}
    for s in strings:
        parsed = parse_override(str(s))
        if parsed is not None:
            result[parsed[0]] = parsed[1]
    return result


def _as_seed(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError as exc:
        return f"{ERROR_FILE} unreadable ({exc.strerror})"
    return lines[0].strip() if lines else f"{ERROR_FILE} is empty"


def _configured(run_dir: Path) -> dict[str, Any]:
    """The run's composed config as Hydra saved it (``.hydra/config.yaml``), or {} if unreadable.

    It names the seed of a run that wrote no summary when the sweep did not vary the seed.
    """
    try:
        config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def _read_run(root: Path, run_dir: Path) -> _Run:
    rel = run_dir.relative_to(root).as_posix() or "."
    overrides_file = run_dir / ".hydra" / "overrides.yaml"
    hydra_overrides: dict[str, Value] = {}
    if overrides_file.is_file():
        try:
            listed = yaml.safe_load(overrides_file.read_text(encoding="utf-8")) or []
            hydra_overrides = _overrides_dict(listed if isinstance(listed, list) else [])
        except (OSError, yaml.YAMLError):
            pass  # summary.json's own copy of the overrides may still identify the run

    if not (run_dir / SUMMARY).is_file():
        error = run_dir / ERROR_FILE
        reason = (f"failed: {_first_line(error)}" if error.is_file()
                  else "incomplete: no summary.json (run failed, was killed or is still running)")
        seed = _as_seed(hydra_overrides.get(SEED, _configured(run_dir).get(SEED)))
        return _Run(rel, hydra_overrides, seed, None, reason)

    # Whether the run finished is livesim.results' rule, shared with the sweep's progress count;
    # the summary is still read here to name the run and to say why it is left out.
    summary, unfinished = check_summary(run_dir)
    if not isinstance(summary, dict):
        return _Run(rel, hydra_overrides, _as_seed(hydra_overrides.get(SEED)), None, unfinished)

    listed = summary.get("overrides")
    overrides = _overrides_dict(listed) if isinstance(listed, list) else hydra_overrides
    seed = _as_seed(summary.get("seed", overrides.get(SEED,
                                                     (summary.get("config") or {}).get(SEED))))
    if unfinished is not None:
        return _Run(rel, overrides, seed, None, unfinished)
    if seed is None:
        return _Run(rel, overrides, None, None, "summary.json records no integer seed")
    if not isinstance(summary.get("metrics"), dict):
        return _Run(rel, overrides, seed, None, "summary.json has no metrics object")
    return _Run(rel, overrides, seed, summary, None)


def _discover(root: Path) -> list[Path]:
    found = {p.parent for p in root.rglob(SUMMARY)}
    found |= {p.parent.parent for p in root.rglob("overrides.yaml") if p.parent.name == ".hydra"}
    return sorted(found, key=lambda p: _natural_key(p.relative_to(root).as_posix()))


def _expected_runs(multirun: Mapping[str, Any]) -> tuple[list[dict[str, Value]] | None, str]:
    """Expand the sweep recorded in ``multirun.yaml`` into one override dict per job.

    Returns None (and a note) when the sweep cannot be enumerated: another sweeper than Hydra's
    basic one (an optimizer picks its own points), or an ``interval()`` sweep.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    hydra_cfg = multirun.get("hydra") or {}
    sweeper = str((hydra_cfg.get("sweeper") or {}).get("_target_") or "BasicSweeper")
    if not sweeper.endswith(".BasicSweeper") and sweeper != "BasicSweeper":
        return None, (f"The sweep used {sweeper.rsplit('.', 1)[-1]}, which chooses its own "
                      "points, so runs that never started cannot be detected (runs that started "
                      "and failed are still listed).")
    task = list(((hydra_cfg.get("overrides") or {}).get("task")) or [])
    params = (hydra_cfg.get("sweeper") or {}).get("params") or {}
    strings = [f"{k}={v}" for k, v in params.items()] + [str(t) for t in task]
    choices: dict[str, list[Value]] = {}
    try:
        for override in OverridesParser.create().parse_overrides(strings):
            key = override.key_or_group
            if override.is_delete() or key == "hydra" or key.startswith(("hydra.", "hydra/")):
                continue
            if override.is_sweep_override():
                choices[key] = [normalize_value(s) for s in override.sweep_string_iterator()]
            else:
                choices[key] = [normalize_value(override.get_value_element_as_str())]
    except HydraException as exc:
        return None, (f"The sweep in multirun.yaml could not be enumerated ({exc}), so runs that "
                      "never started cannot be detected.")
    keys = list(choices)
    return [dict(zip(keys, combo, strict=True)) for combo in product(*choices.values())], ""


def _is_multirun(command: str) -> bool:
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: judge by the plain words
        words = command.split()
    return "-m" in words or "--multirun" in words


def _command_from_multirun(multirun: Mapping[str, Any]) -> str | None:
    overrides = (multirun.get("hydra") or {}).get("overrides") or {}
    hydra_part = [o for o in overrides.get("hydra") or [] if o != "hydra.mode=MULTIRUN"]
    task = overrides.get("task") or []
    if not hydra_part and not task:
        return None
    return " ".join(["livesim", "-m", *(shlex.quote(str(o)) for o in [*task, *hydra_part])])


def _unique(values: Iterable[Any]) -> tuple[Any, ...]:
    seen: dict[Any, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return tuple(seen)


def _metric_value(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _read_multirun(root: Path) -> tuple[dict[str, Any], list[str]]:
    path = root / "multirun.yaml"
    if not path.is_file():
        return {}, []
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return {}, [f"multirun.yaml could not be read ({exc}); it was ignored."]
    return (loaded if isinstance(loaded, dict) else {}), []


def _add_never_started(runs: list[_Run], multirun: Mapping[str, Any]
                       ) -> tuple[list[_Run], list[str], int | None]:
    """Add the runs multirun.yaml's sweep expects but no directory holds.

    Also returns the size of that sweep (None when it cannot be enumerated).
    """
    expected, note = _expected_runs(multirun)
    if expected is None:
        return runs, [note], None
    seen = {frozenset(r.overrides.items()) for r in runs}
    wanted = {frozenset(e.items()) for e in expected}
    absent = [
        _Run("", combo, _as_seed(combo.get(SEED)), None,
             "never started: in multirun.yaml's sweep, no run directory")
        for combo in expected if frozenset(combo.items()) not in seen
    ]
    strays = [r.run_dir for r in runs if frozenset(r.overrides.items()) not in wanted]
    notes = [] if not strays else [
        f"{len(strays)} run director{'y does' if len(strays) == 1 else 'ies do'} not match the "
        f"sweep recorded in multirun.yaml (first: {strays[0]}); they are included as found."
    ]
    return runs + absent, notes, len(expected)


def _provenance(complete: list[_Run], multirun: Mapping[str, Any]) -> tuple[Provenance,
                                                                             list[str]]:
    summaries = [r.summary or {} for r in complete]
    commands = _unique(str(s["command"]) for s in summaries if s.get("command"))
    # Jobs of a sweep record the sweep's own command (any sweeper, Optuna's included).
    sweeps = (_unique(str(s["sweep_command"]) for s in summaries if s.get("sweep_command"))
              or [c for c in commands if _is_multirun(c)])
    example = next((r for r in complete if isinstance((r.summary or {}).get("config"), dict)),
                   None)
    run_command = (example.summary or {}).get("command") if example else None
    configs = [s.get("config") or {} for s in summaries]
    provenance = Provenance(
        sweep_command=sweeps[0] if sweeps else _command_from_multirun(multirun),
        run_command=None if run_command is None or _is_multirun(run_command) else run_command,
        versions=_unique(str(s["version"]) for s in summaries if s.get("version") is not None),
        git_commits=_unique(s.get("git_commit") for s in summaries),
        scenarios=_unique(str(c["scenario"]) for c in configs if c.get("scenario") is not None),
        engines=_unique(str(c["engine"]) for c in configs if c.get("engine") is not None),
        days=_unique(c["days"] for c in configs if isinstance(c.get("days"), int)),
        config=example.summary["config"] if example and example.summary else None,
        config_run=example.run_dir if example else None,
    )
    notes = []
    if len(sweeps) > 1:
        notes.append(f"The runs record {len(sweeps)} different sweep commands; the report shows "
                     "the first. The sweep may have been resumed with other options.")
    if len(provenance.versions) > 1:
        notes.append("Runs were made by different livesim versions "
                     f"({', '.join(provenance.versions)}); differences may not be the policy's.")
    if len(provenance.git_commits) > 1:
        notes.append("Runs were made from different git commits "
                     f"({', '.join(str(c) for c in provenance.git_commits)}).")
    return provenance, notes


def _is_sweep_folder(path: Path) -> bool:
    """Whether Hydra (multirun.yaml) or livesim (its sweep state file) marked ``path`` a sweep."""
    return (path / "multirun.yaml").is_file() or (path / SWEEP_STATE).is_file()


def _check_one_sweep(root: Path) -> None:
    """Refuse a single run folder, and a folder holding several sweeps (or one, deeper down)."""
    if _is_sweep_folder(root):
        return
    if (root / SUMMARY).is_file() or (root / ".hydra" / "overrides.yaml").is_file():
        raise ReportError(
            f"{str(root)!r} is a single run (it holds {SUMMARY} or .hydra/ itself), not a sweep: "
            "a report compares policy points over seeds, and one run has one point and one "
            f"seed. Its outcomes are in {str(root / SUMMARY)!r} (metrics) and timeseries.csv. To "
            "compare policies, sweep them, e.g. livesim -m 'policy.risk_threshold=0.7,0.8,0.9' "
            "'seed=range(0,10)', and give the sweep's folder (results/multirun/<date>/<time>)."
        )
    marks = {p.parent for name in ("multirun.yaml", SWEEP_STATE) for p in root.rglob(name)}
    folders = sorted((p for p in marks if _is_sweep_folder(p)),
                     key=lambda p: _natural_key(p.relative_to(root).as_posix()))
    if not folders:
        return
    shown = ", ".join(str(f) for f in folders[:8]) + (
        f" and {len(folders) - 8} more" if len(folders) > 8 else "")
    if len(folders) == 1:
        raise ReportError(
            f"{str(root)!r} is not a sweep folder, but it holds one: {shown}. Give that folder "
            f"(livesim-report {shlex.quote(str(folders[0]))}); the report is written into it."
        )
    raise ReportError(
        f"{str(root)!r} holds {len(folders)} separate sweeps ({shown}), not one sweep. A report "
        "compares policy points within one sweep, paired by seed; pooling separate sweeps would "
        "mix runs made with different commands, settings and worlds, so it is refused. Give one "
        "sweep folder (the one with multirun.yaml and one folder per run), e.g. "
        f"livesim-report {shlex.quote(str(folders[0]))}."
    )


def _check_not_single_runs(root: Path, runs: list[_Run]) -> None:
    """Refuse a folder of separately made single runs (``results/runs/<date>``): not a sweep."""
    if _is_sweep_folder(root):
        return
    summaries = [r.summary for r in runs if r.summary is not None]
    commands = [str(s.get("command") or "") for s in summaries]
    if (len(summaries) < 2 or any(s.get("sweep_command") for s in summaries)
            or not all(commands) or any(_is_multirun(c) for c in commands)):
        return
    raise ReportError(
        f"{str(root)!r} holds {len(summaries)} separate single runs (each made by `livesim` "
        "without -m), not a sweep: they may differ in more than the policy, and nothing says "
        "they belong together, so they are not pooled into one comparison. Run the comparison "
        "as one sweep, e.g. livesim -m 'policy.risk_threshold=0.7,0.8,0.9' 'seed=range(0,10)', "
        "and give its folder (results/multirun/<date>/<time>)."
    )


def _planned_size(root: Path, expected: int | None) -> int | None:
    """Runs the sweep set out to make: multirun.yaml's grid, else the size livesim recorded."""
    if expected is not None:
        return expected
    state = read_sweep_state(root)
    total = state.get("total") if isinstance(state, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None


def load_sweep(sweep_dir: str | Path) -> Sweep:
    """Read every run below a sweep directory.

    Parameters
    ----------
    sweep_dir : str or Path
        A Hydra multirun directory (or any directory with run directories below it and no sweep
        folder among them). A run directory is any directory holding ``summary.json`` or
        ``.hydra/overrides.yaml``.

    Returns
    -------
    Sweep
        Complete runs, missing runs and what the runs record about their provenance.

    Raises
    ------
    ReportError
        If the directory does not exist, holds no run directory at all, is itself a single run
        (not a sweep), or is not a sweep folder but holds one or more (``multirun.yaml`` or
        livesim's ``.livesim_sweep.json``): separate sweeps are never pooled.
    """
    root = Path(sweep_dir)
    if not root.is_dir():
        raise ReportError(
            f"The sweep directory {str(root)!r} does not exist or is not a directory. Give the "
            "directory a `livesim -m ...` sweep wrote, e.g. results/multirun/<date>/<time>."
        )
    _check_one_sweep(root)
    runs = [_read_run(root, d) for d in _discover(root)]
    if not runs:
        raise ReportError(
            f"No runs found in {str(root)!r}: no directory below it holds summary.json or "
            ".hydra/overrides.yaml. Is this the sweep directory (the one with multirun.yaml and "
            "one folder per run)?"
        )

    _check_not_single_runs(root, runs)
    multirun, notes = _read_multirun(root)
    expected = None
    if multirun:
        runs, more, expected = _add_never_started(runs, multirun)
        notes += more

    keys = _unique(k for r in runs for k in r.overrides if k != SEED)
    distinct = {k: _unique(r.overrides.get(k, "<absent>") for r in runs) for k in keys}
    varying = [k for k in keys if len(distinct[k]) > 1]
    levers = tuple(k for k in varying if is_policy_key(k))
    world_keys = tuple(k for k in varying if not is_policy_key(k))
    fixed = {k: distinct[k][0] for k in keys if k not in varying}

    def label(r: _Run) -> str:
        parts = [format_override(k, r.overrides[k]) for k in levers if k in r.overrides]
        if parts:
            return " ".join(parts)
        return "(no overrides recorded)" if levers else "all runs"

    def world_label(r: _Run) -> str:
        parts = [format_override(k, r.overrides[k]) for k in world_keys if k in r.overrides]
        return " ".join(parts) if parts else "(no world override)" if world_keys else ""

    point_values: dict[str, dict[str, Value]] = {}
    world_values: dict[str, dict[str, Value]] = {}
    for r in runs:
        point_values.setdefault(label(r), {k: r.overrides[k] for k in levers if k in r.overrides})
        world_values.setdefault(world_label(r),
                                {k: r.overrides[k] for k in world_keys if k in r.overrides})

    def point_key(point: str) -> tuple[tuple[int, Any], ...]:
        values = point_values[point]
        return tuple(value_sort_key(values.get(k, math.nan)) for k in levers)

    def world_key(world: str) -> tuple[tuple[int, Any], ...]:
        values = world_values[world]
        return tuple(value_sort_key(values.get(k, math.nan)) for k in world_keys)

    worlds = tuple(sorted(world_values, key=world_key))
    by_world = [WORLD] if world_keys else []
    complete = [r for r in runs if r.reason is None]
    metric_names = _unique(k for r in complete for k in (r.summary or {})["metrics"])
    rows = []
    for r in complete:
        metrics = (r.summary or {})["metrics"]
        row: dict[str, Any] = {"run_dir": r.run_dir, WORLD: world_label(r), "point": label(r)}
        row.update({k: r.overrides.get(k) for k in keys})
        row[SEED] = r.seed
        row.update({m: _metric_value(metrics.get(m)) for m in metric_names})
        rows.append(row)
    columns = ["run_dir", *by_world, "point", *levers, *world_keys, *fixed, SEED, *metric_names]
    table = pd.DataFrame(rows, columns=columns)
    points = tuple(sorted(_unique(table["point"]), key=point_key))
    if len(table):
        order = {p: i for i, p in enumerate(points)}
        w_order = {w: i for i, w in enumerate(worlds)}
        table = (table.assign(_world=table[WORLD].map(w_order) if world_keys else 0,
                              _order=table["point"].map(order))
                 .sort_values(["_world", "_order", SEED], kind="stable")
                 .drop(columns=["_world", "_order"]).reset_index(drop=True))

    missing = pd.DataFrame(
        [{"run_dir": r.run_dir, WORLD: world_label(r), "point": label(r), SEED: r.seed,
          "reason": r.reason} for r in runs if r.reason is not None],
        columns=["run_dir", WORLD, "point", SEED, "reason"],
    )[["run_dir", *by_world, "point", SEED, "reason"]]
    if len(missing):
        missing[SEED] = missing[SEED].astype("Int64")

    provenance, more = _provenance(complete, multirun)
    notes += _check_runs(table) + more

    return Sweep(
        root=root,
        runs=table,
        missing=missing,
        levers=levers,
        fixed=fixed,
        points=points,
        point_values=point_values,
        metrics=metric_names,
        seeds=tuple(sorted(_unique(int(s) for s in table[SEED]))),
        provenance=provenance,
        notes=tuple(notes),
        world_keys=world_keys,
        worlds=worlds,
        world_values=world_values,
        planned=_planned_size(root, expected),
    )


def _check_runs(table: pd.DataFrame) -> list[str]:
    """Sanity checks on complete runs: duplicated seeds and money conservation."""
    notes = []
    dup = table[table.duplicated([c for c in (WORLD, "point", SEED) if c in table], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        world = f" in {first[WORLD]}" if WORLD in table else ""
        notes.append(
            f"{len(dup)} runs share a (point, seed) with another run (first: {first['point']}"
            f"{world}, seed {first[SEED]}); statistics average them into one observation per seed."
        )
    if "ledger.imbalance" in table:
        scale = table["revenue.gross"].abs().clip(lower=1.0) if "revenue.gross" in table else 1.0
        bad = table[table["ledger.imbalance"].abs() > LEDGER_TOLERANCE * scale]
        if len(bad):
            notes.append(
                f"ledger.imbalance is not zero in {len(bad)} of {len(table)} runs (largest "
                f"{bad['ledger.imbalance'].abs().max():.3g} currency units, first run "
                f"{bad.iloc[0]['run_dir']}): money was not conserved there, which points to an "
                "engine bug; treat those results with suspicion."
            )
    return notes


def daily_means(sweep: Sweep, point: str) -> tuple[pd.DataFrame, int]:
    """Mean over seeds of the daily time series of one point.

    Parameters
    ----------
    sweep : Sweep
        The sweep.
    point : str
        A point label from ``sweep.points``.

    Returns
    -------
    frame : pandas.DataFrame
        Indexed by ``day``; one column per numeric ``timeseries.csv`` column (units as the
        engine writes them: currency units per day, accounts, ...). Empty if no run of the
        point has a readable ``timeseries.csv``.
    n_runs : int
        How many runs' time series went into the mean.
    """
    frames = []
    for run_dir in sweep.runs.loc[sweep.runs["point"] == point, "run_dir"]:
        path = sweep.root / run_dir / TIMESERIES
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        if "day" in frame:
            frames.append(frame.apply(pd.to_numeric, errors="coerce"))
    if not frames:
        return pd.DataFrame(), 0
    return pd.concat(frames).groupby("day").mean(), len(frames)
