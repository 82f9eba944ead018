"""Build a report from a sweep directory: read, check, summarize, choose, draw, then write.

Everything the user asked for is checked against the loaded runs before the first file is
written, so a refused call (unknown baseline, a limit on a metric the runs lack, no complete run)
leaves the output directory as it was.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from livesim.metrics import is_shown
from livesim.report.aggregate import (
    WORLD,
    ReportError,
    Sweep,
    daily_means,
    load_sweep,
    parse_point_spec,
)
from livesim.report.frontier import (
    DEFAULT_OBJECTIVES,
    FP_RATE,
    HARM,
    NET,
    Recommendation,
    pareto_front,
    recommend,
)
from livesim.report.plots import Plot, daily_plot, outcome_plots, tradeoff_plots
from livesim.report.render import (
    ReportContext,
    WorldReport,
    compose,
    render_html,
    render_markdown,
    title,
)
from livesim.report.stats import (
    HEADLINE_METRICS,
    format_estimate,
    per_seed,
    resolve_baseline,
    summarize,
)
from livesim.results import atomic_write, resume_from_command

__all__ = ["LIMIT_TOPS", "OPTIONS_FILE", "BuiltReport", "accepted_limit", "rebuild_report", "report_flags",
           "report_options", "write_report"]

#: The baseline and limits a report was built with, kept beside it: the end of a resumed sweep
#: rebuilds the report in the sweep folder with them, instead of replacing it with a default one.
OPTIONS_FILE = "report_options.json"
_OPTIONS = ("baseline", "max_harm", "max_fp_rate")
#: The largest value each limit may take; every limit is a finite number ≥ 0 (a share for the fp rate).
LIMIT_TOPS = {"max_harm": math.inf, "max_fp_rate": 1.0}


def accepted_limit(key: str, value: object) -> bool:
    """Whether ``value`` is one livesim-report takes for limit ``key`` (``max_harm`` or ``max_fp_rate``)."""
    return (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and 0 <= value <= LIMIT_TOPS[key])


@dataclass(frozen=True)
class BuiltReport:
    """Where a report went and what it says.

    Attributes
    ----------
    html, markdown : Path
        ``report.html`` (self-contained) and ``report.md`` (links ``plots/``).
    out_dir : Path
        The directory holding them and runs.csv, summary.csv, missing.csv, plots/.
    recommendation : Recommendation
        The answer; for a sweep over several worlds, a summary saying there is one per world.
    n_runs, n_missing : int
        Complete runs used; runs missing or failed.
    worlds : tuple of (str, Recommendation)
        The answer of each world (one entry, with an empty label, for a one-world sweep).
    n_planned : int
        Runs the sweep set out to make.
    status : str
        One paragraph on what is missing and how to resume; empty when the sweep is complete.
    """

    html: Path
    markdown: Path
    out_dir: Path
    recommendation: Recommendation
    n_runs: int
    n_missing: int
    worlds: tuple[tuple[str, Recommendation], ...] = ()
    n_planned: int = 0
    status: str = ""

    @property
    def incomplete(self) -> bool:
        """Whether some planned run of the sweep is missing or failed."""
        return self.n_runs < self.n_planned


def report_options(out_dir: str | Path) -> dict[str, str | float]:
    """The baseline and limits of the report in ``out_dir``, as :func:`write_report` keywords.

    Empty when there is no report there, or it was built without any. A value ``livesim-report``
    would refuse (the record edited by hand) is left out, as is an unreadable record.
    """
    try:
        saved = json.loads((Path(out_dir) / OPTIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict):
        return {}
    options: dict[str, str | float] = {}
    if isinstance(saved.get("baseline"), str) and saved["baseline"].strip():
        options["baseline"] = saved["baseline"]
    for key in LIMIT_TOPS:
        if accepted_limit(key, saved.get(key)):
            options[key] = float(saved[key])
    return options


def report_flags(options: dict[str, str | float]) -> str:
    """``options`` (see :func:`report_options`) as ``livesim-report`` flags."""
    return shlex.join(_flag_words(options))


def _flag_words(options: Mapping[str, object]) -> list[str]:
    """``{"max_harm": 900.0, "out": None}`` → ``["--max-harm", "900.0"]``: each set option as its flag."""
    return [word for key, value in options.items() if value is not None
            for word in (f"--{key.replace('_', '-')}", str(value))]


def rebuild_report(sweep_dir: Path) -> tuple[BuiltReport, str]:
    """Rebuild the report in ``sweep_dir`` (the end of a sweep) with the options recorded there.

    A report already in the folder (a resumed sweep) keeps the baseline and limits it was built
    with. One the runs cannot take now (the baseline point has no complete run yet) is left out of
    this build, the baseline first, and stays recorded for the next. Returns the report and a note
    on the options for the line that announces it (empty when there were none).
    """
    options = report_options(sweep_dir)
    limits = {k: v for k, v in options.items() if k != "baseline"}
    attempts = [options, *([limits] if limits != options else []), *([{}] if limits else [])]
    refused: ReportError | None = None
    for attempt in attempts:
        try:
            report = write_report(sweep_dir, **attempt, record_options=attempt == options)
            break
        except ReportError as err:
            if attempt is attempts[-1]:
                raise
            refused = err
    left_out = {k: v for k, v in options.items() if k not in attempt}
    if left_out:
        return report, (f" (without the report's earlier {report_flags(left_out)}, kept on record for the "
                        f"next rebuild: {refused})")
    return report, f" (with the report's earlier options: {report_flags(options)})" if options else ""


def _command(sweep_dir: str | Path, baseline: str | None, max_harm: float | None,
             max_fp_rate: float | None, out_dir: str | Path | None) -> str:
    """The ``livesim-report`` command line equivalent to these arguments."""
    return shlex.join(["livesim-report", str(sweep_dir), *_flag_words(
        {"baseline": baseline, "max_harm": max_harm, "max_fp_rate": max_fp_rate, "out": out_dir})])


def resume_command(sweep: Sweep) -> str:
    """The command that resumes the sweep in its folder (finished runs are skipped).

    The recorded (possibly relative) sweep folder is replaced by the absolute one: the command then
    resumes this sweep from wherever it is run.
    """
    command = sweep.provenance.sweep_command
    if not command:
        return f"<the sweep's livesim -m command> {shlex.quote(f'hydra.sweep.dir={Path(sweep.root).resolve()}')}"
    return resume_from_command(command, sweep.root)


def _no_complete_run(sweep: Sweep) -> ReportError:
    reasons = sweep.missing["reason"].value_counts()
    listed = "; ".join(f"{n} × {reason}" for reason, n in reasons.head(4).items())
    more = f"; and {len(reasons) - 4} other reasons" if len(reasons) > 4 else ""
    first = sweep.missing.iloc[0]
    return ReportError(
        f"None of the {len(sweep.missing)} runs in {str(sweep.root)!r} completed, so there is "
        f"nothing to report (and nothing was written). Reasons: {listed}{more}. The first run, "
        f"{first['run_dir'] or first['point']}, says: {first['reason']}."
    )


def _check_arguments(sweep: Sweep, baseline: str | None, limits: dict[str, float],
                     out: Path) -> dict[str, str | None]:
    """Check every argument against the runs; return each world's baseline point."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {str(out)!r} exists and is not a directory.")
    if sweep.runs.empty:
        raise _no_complete_run(sweep)
    for metric in limits:
        if metric not in sweep.metrics:
            raise ReportError(f"A limit was given on {metric}, but the runs do not report it "
                              f"(their metrics: {', '.join(sweep.metrics)}).")
    if baseline is not None and sweep.world_keys:
        world = [k for k in parse_point_spec(baseline) if k in sweep.world_keys]
        if world:
            raise ReportError(
                f"--baseline {baseline!r} names {', '.join(world)}, which this sweep varies and "
                "which defines the simulated world, not the policy. Each world is compared with "
                "its own baseline, the same policy point in every world: name only the policy "
                f"levers ({', '.join(sweep.levers) or 'none'}).")
    bases: dict[str, str | None] = {}
    for label in sweep.worlds:
        part = sweep.world(label)
        try:
            bases[label] = resolve_baseline(part, baseline) if part.points else None
        except ReportError as err:
            raise ReportError(f"In world {label}: {err}" if label else str(err)) from None
    return bases


def _single_point(summary: pd.DataFrame, limits: dict[str, float], where: str) -> Recommendation:
    point = str(summary.index[0])
    r = summary.loc[point]
    net = ""
    if f"{NET}.mean" in r:
        estimate = format_estimate(r[f"{NET}.mean"], r[f"{NET}.ci_low"], r[f"{NET}.ci_high"])
        net = (f" Its mean platform net is {estimate} currency units over "
               f"{int(r[f'{NET}.n'])} seeds.")
    return Recommendation(
        None, f"No comparison: {where} a single policy point ({point}), so there is nothing to "
        "compare and nothing is recommended.",
        (f"The runs measure one policy's outcomes over seeds (see the tables);{net} To compare "
         "policies, sweep a policy lever, e.g. 'policy.risk_threshold=0.7,0.8,0.9'.",),
        limits, ())


def _not_comparable(coverage_empty: tuple[str, ...], coverage_short: dict[str, tuple[int, int]],
                    n_points: int, n_done: int, n_planned: int, limits: dict[str, float],
                    resume: str) -> Recommendation:
    lacking = [*coverage_empty, *(f"{p} ({have} of {want} seeds)" for p, (have, want) in coverage_short.items())]
    shown = "; ".join(lacking[:8]) + (f" and {len(lacking) - 8} more" if len(lacking) > 8 else "")
    if coverage_empty:
        why = f"{len(coverage_empty)} of {n_points} policy points have no complete run"
        if coverage_short:
            why += f" and {len(coverage_short)} lack{'s' * (len(coverage_short) == 1)} some of the sweep's seeds"
    else:
        why = f"{len(coverage_short)} of {n_points} policy points lack some of the sweep's seeds"
    return Recommendation(
        None, f"No recommendation: {why} ({shown}), so the points cannot be compared until "
        "those runs exist.",
        (f"Only {n_done} of {n_planned} planned runs completed. Any answer ranks each point of "
         "the grid against the others; with points missing, the best of those that ran need "
         "not be the best of the grid, so none is named — not even among the points that did "
         "run. A point missing a seed is not comparable either: runs with the same seed share "
         "their world, and seed-to-seed variation dwarfs a policy's effect, so its mean over "
         "other seeds is not comparable with the others' means.",
         "The tables and charts below show the points with complete runs, for inspection only.",
         f"Resume the sweep (finished runs are kept and skipped), then rebuild this report: "
         f"`{resume}`."),
        limits, ())


def _world_report(sweep: Sweep, label: str, baseline: str | None, limits: dict[str, float],
                  objectives: tuple[str, ...], resume: str, several: bool) -> WorldReport:
    part = sweep.world(label)
    coverage = part.coverage()
    if sweep.planned and not several:
        coverage = replace(coverage, n_planned=max(coverage.n_planned, sweep.planned))
    if baseline is None:  # no run of this world completed (possible only with several worlds)
        rec = Recommendation(None, "No run of this world completed: nothing to compare.",
                             (f"Resume the sweep, then rebuild this report: `{resume}`.",),
                             limits, ())
        empty = pd.DataFrame()
        return WorldReport(label, part, coverage, empty, pd.Series(dtype=bool), (), None, rec,
                           ())
    summary = summarize(part, baseline)
    frontier = pareto_front(summary, objectives)
    where = "this world has" if several else "the sweep has"
    if coverage.empty or coverage.short:
        rec = _not_comparable(coverage.empty, coverage.short, len(coverage.seeds), coverage.n_complete,
                              coverage.n_planned, limits, resume)
    elif len(part.points) == 1:
        rec = _single_point(summary, limits, where)
    else:
        rec = recommend(summary, per_seed(part), frontier, baseline, limits, coverage.short)
    if coverage.incomplete:
        rec = replace(rec, headline=f"INCOMPLETE SWEEP ({coverage.n_complete} of "
                      f"{coverage.n_planned} runs complete) — {rec.headline}")

    headline = tuple(m for m in HEADLINE_METRICS
                     if m in part.metrics and summary[f"{m}.mean"].notna().any()
                     and is_shown(m, summary[f"{m}.mean"]))
    flags = {p: f"{have} of {want} seeds" for p, (have, want) in coverage.short.items()}
    star = rec.mark
    # Charts across policy points need two of them; a lone point gets its daily series only.
    plots: list[Plot] = [] if len(part.points) == 1 else [
        *outcome_plots(summary, part, headline, baseline, rec.point, star=star, world=label),
        *tradeoff_plots(summary, part, frontier, objectives, baseline, rec.point, star=star,
                        world=label, flags=flags)]
    series = {f"baseline: {baseline}": daily_means(part, baseline)}
    if rec.point not in (None, baseline):
        series = {f"{star}: {rec.point}": daily_means(part, rec.point), **series}
    daily = daily_plot(series, world=label)
    if daily is not None:
        plots.append(daily)
    if several:
        slug = "".join(c if c.isalnum() or c in "._=-" else "_" for c in label)
        plots = [replace(p, name=f"{slug}__{p.name}") for p in plots]
    return WorldReport(label, part, coverage, summary, frontier, headline, baseline, rec,
                       tuple(plots))


def _status(ctx: ReportContext, resume: str) -> str:
    if not ctx.incomplete:
        return ""
    n_done = len(ctx.sweep.runs)
    empty = sum(len(w.coverage.empty) for w in ctx.worlds)
    short = sum(len(w.coverage.short) for w in ctx.worlds)
    parts = [f"the sweep is INCOMPLETE: {n_done} of {ctx.n_planned} planned runs finished "
             f"({ctx.n_planned - n_done} missing or failed; see missing.csv)."]
    if empty:
        parts.append(f"{empty} policy point(s) have no complete run, so the report makes no "
                     "recommendation where they are missing.")
    if short:
        parts.append(f"{short} point(s) have fewer complete seeds than planned; the report "
                     "flags them with ⚠.")
    parts.append(f"The report is marked INCOMPLETE. Resume the sweep with `{resume}` and "
                 "rebuild the report.")
    return " ".join(parts)


def write_report(sweep_dir: str | Path, baseline: str | None = None,
                 max_harm: float | None = None, max_fp_rate: float | None = None,
                 out_dir: str | Path | None = None, *, record_options: bool = True) -> BuiltReport:
    """Aggregate a sweep into runs.csv, summary.csv, missing.csv, plots/, report.md, .html and report_options.json.

    Parameters
    ----------
    sweep_dir : str or Path
        The sweep directory (Hydra's multirun output).
    baseline : str, optional
        Overrides naming the baseline point, e.g. ``"policy.risk_threshold=0.8"``; default
        the first point in sorted order. With several worlds, the same point in each world.
    max_harm : float, optional
        Limit on ``harm.total`` (currency units per run).
    max_fp_rate : float, optional
        Limit on ``enforcement.fp_rate`` (share of benign accounts actioned).
    out_dir : str or Path, optional
        Where to write; default the sweep directory. Every file is written atomically, and
        only after every argument has been checked.
    record_options : bool
        Record the baseline and limits in ``report_options.json`` beside the report (the
        default); a rebuild that had to leave a recorded option out keeps the record as it was.

    Returns
    -------
    BuiltReport
        An incomplete sweep (runs missing or failed) still gets its report, marked INCOMPLETE:
        see ``BuiltReport.incomplete`` and ``status``. No point is recommended (or, without
        limits, highlighted) in a world where some policy point has no complete run.

    Raises
    ------
    ReportError
        For user errors, before any file is written: missing directory, a single run or several
        sweeps instead of one sweep, no complete run, unknown baseline (or one naming a world
        setting), or a limit on a metric the runs do not report.
    """
    sweep = load_sweep(sweep_dir)
    out = Path(out_dir) if out_dir is not None else sweep.root
    limits = {m: v for m, v in ((HARM, max_harm), (FP_RATE, max_fp_rate)) if v is not None}
    bases = _check_arguments(sweep, baseline, limits, out)

    objectives = tuple(m for m in DEFAULT_OBJECTIVES if m in sweep.metrics)
    resume = resume_command(sweep)
    several = len(sweep.worlds) > 1
    worlds = tuple(_world_report(sweep, label, bases[label], limits, objectives, resume, several)
                   for label in sweep.worlds)
    summaries = [w.summary.assign(**{WORLD: w.label}).set_index(WORLD, append=True)
                 .reorder_levels([WORLD, "point"]) if several else w.summary
                 for w in worlds if len(w.summary)]
    summary = pd.concat(summaries)
    n_planned = max(len(sweep.runs) + len(sweep.missing), sweep.planned or 0)
    context = ReportContext(
        sweep=sweep, worlds=worlds, objectives=objectives, baseline_given=baseline is not None,
        limits_given=bool(limits), n_planned=n_planned, resume=resume,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=_command(sweep_dir, baseline, max_harm, max_fp_rate, out_dir),
    )
    blocks = compose(context)
    markdown_text = render_markdown(blocks)
    html_text = render_html(blocks, title(context))

    atomic_write(out / "runs.csv", sweep.runs.to_csv(index=False))
    atomic_write(out / "missing.csv", sweep.missing.to_csv(index=False))
    atomic_write(out / "summary.csv", summary.to_csv())
    written = {f"{plot.name}.png" for world in worlds for plot in world.plots}
    for world in worlds:
        for plot in world.plots:
            atomic_write(out / "plots" / f"{plot.name}.png", plot.png)
    for stale in (out / "plots").glob("*.png"):  # an earlier report's charts this one does not have
        if stale.name not in written:
            stale.unlink()
    markdown = atomic_write(out / "report.md", markdown_text)
    html = atomic_write(out / "report.html", html_text)
    options = dict(zip(_OPTIONS, (baseline, max_harm, max_fp_rate), strict=True))
    if record_options:
        atomic_write(out / OPTIONS_FILE, json.dumps({k: v for k, v in options.items() if v is not None}))

    if several:
        answers = "; ".join(f"{w.label}: {w.recommendation.headline}" for w in worlds)
        overall = Recommendation(
            None, f"No recommendation across worlds: this sweep varies "
            f"{', '.join(sweep.world_keys)}, which defines the simulated world; each world has "
            f"its own answer ({answers}).",
            tuple(f"{w.label}: {w.recommendation.headline}" for w in worlds), limits, ())
    else:
        overall = worlds[0].recommendation
    return BuiltReport(html, markdown, out, overall, len(sweep.runs), len(sweep.missing),
                       tuple((w.label, w.recommendation) for w in worlds), n_planned,
                       _status(context, resume))
