"""Write the report as Markdown and as one self-contained HTML file.

The report is composed once as a list of blocks (headings, paragraphs, tables, images, code) and
serialized twice: ``report.md`` links the PNGs in ``plots/``; ``report.html`` embeds them as
base64 data URIs and carries its own CSS, so it opens anywhere and can be attached as one file.
Inline text may use Markdown's ```code``` and ``**bold**``.
"""

from __future__ import annotations

import base64
import html
import math
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import yaml

from livesim.report.aggregate import (
    SEED,
    WORLD,
    Coverage,
    Sweep,
    format_override,
    format_value,
    value_sort_key,
)
from livesim.report.frontier import NET, Recommendation, direction
from livesim.report.plots import Plot, metric_unit
from livesim.report.stats import LEVEL_TEXT, format_estimate, format_number

__all__ = [
    "CAVEATS",
    "PACKAGES",
    "Bullets",
    "Code",
    "Heading",
    "Image",
    "Paragraph",
    "ReportContext",
    "Table",
    "WorldReport",
    "compose",
    "environment",
    "render_html",
    "render_markdown",
    "title",
]

CAVEATS: tuple[str, ...] = (
    "**Synthetic population.** Accounts, audiences, spending and bad actors are drawn from the "
    "configured distributions (see the config below), not from platform data.",
    "**Detection is a model.** Risk scores come from a binormal model: benign and bad accounts' "
    "scores are two normal distributions whose separation is set by the configured AUC per harm "
    "type, calibrated to an assumed prevalence. A real detector may be better or worse, and its "
    "errors may be correlated in ways the model does not capture.",
    "**Chargebacks run off.** Chargebacks arrive with a delay; each run's totals include a "
    "run-off window after the last simulated day, so late chargebacks are counted. The run-off only "
    "settles money (payouts, chargebacks, clawbacks); scoring, review and appeals stop with the activity.",
    "**Relative comparisons.** Read the results as differences between policies in the same "
    "simulated world: their sign and size relative to the baseline are the finding, while "
    "absolute levels are illustrative.",
    "**What the intervals cover.** Every interval is a 95 % Student-t interval over seeds: it "
    "measures the simulation's own randomness, not uncertainty in the model's assumptions or "
    "parameters. A different scenario or parameterisation can change the answer.",
    "**Few seeds, heavy tails.** Spending is concentrated in a few whales and fraud losses come "
    "in lumps, so with few seeds the t interval is approximate: it can reach below zero for a "
    "quantity that cannot be negative. More seeds narrow it; the paired differences are less "
    "affected because each seed's world cancels out.",
    "**The Pareto frontier compares means.** A point is on the frontier (◆) when no other point is at "
    "least as good on every objective by its mean; differences inside the intervals can put a point "
    "on it or off it, so read the marks together with the paired differences.",
    "**Adversaries adapt only as modelled.** Bad actors react to the policy as their scenario "
    "configures them; a more inventive adversary could do better against any point here.",
)
"""Model caveats printed in every report; edit here to change them."""

PACKAGES: tuple[str, ...] = ("numpy", "scipy", "pandas", "hydra-core", "mesa", "matplotlib")
"""Packages whose versions the reproducibility block lists."""

_TABLE_GROUPS: tuple[tuple[str, str], ...] = (
    ("Revenue (currency units)", "revenue."),
    ("Harm (currency units)", "harm."),
    ("Enforcement and review", ""),
)
_DELTA_METRICS = (NET, "harm.total", "enforcement.false_positives", "enforcement.fp_rate",
                  "revenue.legit_blocked")
_MAX_ROWS = 40


@dataclass(frozen=True)
class Heading:
    """A section heading (level 1–3)."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of inline texts."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of inline texts; ``align`` has one letter per column, ``l`` or ``r``."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str


@dataclass(frozen=True)
class Image:
    """A chart with its caption."""

    plot: Plot


@dataclass(frozen=True)
class Code:
    """A verbatim block."""

    text: str
    language: str = ""


Block = Heading | Paragraph | Bullets | Table | Image | Code


@dataclass(frozen=True)
class WorldReport:
    """One world of the sweep (the whole sweep when it has one), analysed on its own.

    Attributes
    ----------
    label : str
        The world's label (``scenario=laundering_ring``); empty for a one-world sweep.
    sweep : Sweep
        This world's runs (:meth:`livesim.report.aggregate.Sweep.world`).
    coverage : Coverage
        Which of this world's runs finished, per point.
    summary : pandas.DataFrame
        :func:`livesim.report.stats.summarize` output (empty when no run of the world finished).
    frontier : pandas.Series of bool
        Which points are on the Pareto frontier.
    headline : tuple of str
        The metrics the tables show (headline metrics with at least one value).
    baseline : str or None
        The baseline point's label (None when no run of the world finished).
    recommendation : Recommendation
        The answer for this world.
    plots : tuple of Plot
        The charts, in report order.
    """

    label: str
    sweep: Sweep
    coverage: Coverage
    summary: pd.DataFrame
    frontier: pd.Series
    headline: tuple[str, ...]
    baseline: str | None
    recommendation: Recommendation
    plots: tuple[Plot, ...]


@dataclass(frozen=True)
class ReportContext:
    """Everything the report shows, computed beforehand.

    Attributes
    ----------
    sweep : Sweep
        All runs.
    worlds : tuple of WorldReport
        One per world, in sorted order (one for a sweep that does not vary its world).
    objectives : tuple of str
        The frontier's objectives.
    baseline_given : bool
        Whether the user named the baseline (else it is the first point).
    limits_given : bool
        Whether the user gave limits (without them nothing is recommended).
    n_planned : int
        Runs the sweep set out to make.
    resume : str
        The command that resumes the sweep (finished runs are skipped).
    generated : str
        When the report was made.
    command : str
        The ``livesim-report`` command that regenerates the report.
    """

    sweep: Sweep
    worlds: tuple[WorldReport, ...]
    objectives: tuple[str, ...]
    baseline_given: bool
    limits_given: bool
    n_planned: int
    resume: str
    generated: str
    command: str

    @property
    def incomplete(self) -> bool:
        """Whether some run of the sweep is missing or failed."""
        return len(self.sweep.runs) < self.n_planned


def _code(text: object) -> str:
    return f"`{text}`"


def _describe_seeds(seeds: Sequence[int]) -> str:
    if not seeds:
        return "none"
    if list(seeds) == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def _short_flag(w: WorldReport, point: str) -> str:
    have, want = w.coverage.short.get(point, (0, 0))
    return f"⚠ {have} of {want} seeds" if have else ""


def _marks(w: WorldReport, point: str) -> str:
    marks = []
    rec = w.recommendation
    if point == rec.point:
        marks.append(f"★ {rec.mark}")
    if point == w.baseline:
        marks.append("baseline")
    if bool(w.frontier.get(point, False)):
        marks.append("◆ frontier")
    if flag := _short_flag(w, point):
        marks.append(flag)
    return f"{_code(point)}" + (f" ({', '.join(marks)})" if marks else "")


def _table_points(w: WorldReport) -> tuple[list[str], str]:
    """Rows for the report's tables: every point, or the interesting ones in a wide sweep."""
    points = list(w.summary.index)
    if len(points) <= _MAX_ROWS:
        return points, ""
    keep = ({w.baseline, w.recommendation.point} | set(w.frontier[w.frontier].index)
            | set(w.coverage.short))
    shown = [p for p in points if p in keep][:_MAX_ROWS]
    return shown, (f"The sweep has {len(points)} points; the tables show {len(shown)} of them "
                   "(the baseline, the highlighted point, the Pareto frontier and any point with "
                   "missing seeds, in sorted order). summary.csv has every point and every "
                   "metric.")


def _point_name(ctx: ReportContext, w: WorldReport, point: str) -> str:
    name = _code(w.sweep.short_label(point))
    return f"{name} in {_code(w.label)}" if len(ctx.worlds) > 1 else name


def _seeds_line(ctx: ReportContext) -> str:
    sweep = ctx.sweep
    planned = sorted({int(s) for s in sweep.runs[SEED]}
                     | {int(s) for s in sweep.missing[SEED].dropna()})
    counts = {(w.label, p): c for w in ctx.worlds for p, c in w.coverage.seeds.items()}
    common = ("Runs with the same seed share their population and policy-independent random "
              "draws (common random numbers), so differences between points are compared seed "
              "by seed.")
    if len(set(counts.values())) <= 1 and all(have == want for have, want in counts.values()):
        n = next(iter(counts.values()), (0, 0))[0]
        return (f"**Seeds:** {_describe_seeds(sweep.seeds)} ({len(sweep.seeds)} distinct; "
                f"{n} per point). {common}")
    groups: dict[tuple[int, int], list[str]] = {}
    for w in ctx.worlds:
        for p, c in w.coverage.seeds.items():
            groups.setdefault(c, []).append(_point_name(ctx, w, p))
    parts = []
    for (have, want), names in sorted(groups.items(), reverse=True):
        what = ("no complete run" if have == 0 else f"{have} of {want}" if have < want
                else f"all {want}")
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12
                                         else "")
        parts.append(f"{what} at {shown}")
    return (f"**Seeds:** {_describe_seeds(planned)} planned ({len(planned)} distinct); complete "
            f"runs per point: {'; '.join(parts)}. Only seeds with a complete run enter the "
            f"statistics. {common}")


def _lever_values(ctx: ReportContext) -> str:
    sweep = ctx.sweep
    items = []
    for lever in sweep.levers:
        every = sorted({v[lever] for v in sweep.point_values.values() if lever in v},
                       key=value_sort_key)
        ran = {sweep.point_values[p].get(lever) for p in sweep.points}
        text = f"{_code(lever)} ∈ {{{', '.join(format_value(v) for v in every)}}}"
        absent = [format_value(v) for v in every if v not in ran]
        if absent:
            text += f" (no complete run at {', '.join(absent)})"
        items.append(text)
    return "; ".join(items) or "none (every run has the same policy overrides)"


def _question(ctx: ReportContext) -> list[Block]:
    sweep, prov = ctx.sweep, ctx.sweep.provenance
    summary = next((w.summary for w in ctx.worlds if len(w.summary)), pd.DataFrame())
    items = [
        "**Question:** what do the swept levers do to the platform's net revenue, to harm and to "
        "false positives, compared with the baseline?",
        f"**Scenario:** {', '.join(_code(s) for s in prov.scenarios) or 'not recorded'}.",
        f"**Levers swept:** {_lever_values(ctx)}.",
    ]
    if sweep.world_keys:
        items.append(
            "**Worlds, compared separately:** " + ", ".join(_code(w.label) for w in ctx.worlds)
            + f" ({', '.join(_code(k) for k in sweep.world_keys)} "
            f"{'defines' if len(sweep.world_keys) == 1 else 'define'} the simulated world, not "
            "the policy: it is never recommended, and no difference is paired across worlds).")
    if sweep.fixed:
        items.append("**Fixed overrides:** " + ", ".join(
            _code(format_override(k, v)) for k, v in sweep.fixed.items()) + ".")
    if len(ctx.worlds) == 1:
        base = ctx.worlds[0].baseline
        baseline = f"{_code(base)} " if base else "none (no complete run). "
    elif len({w.baseline for w in ctx.worlds if w.baseline}) == 1:
        baseline = f"{_code(next(w.baseline for w in ctx.worlds if w.baseline))} in each world "
    else:
        baseline = ("in each world, " + "; ".join(
            f"{_code(w.baseline)} in {_code(w.label)}" for w in ctx.worlds if w.baseline) + " ")
    items += [
        _seeds_line(ctx),
        f"**Engine:** {', '.join(prov.engines) or 'not recorded'}; **run length:** "
        f"{', '.join(str(d) for d in prov.days) or 'not recorded'} days.",
        f"**Baseline:** {baseline}"
        + ("(given with --baseline)." if ctx.baseline_given
           else "(the first point in sorted order; choose another with --baseline)."),
        "**Outcomes:** " + ", ".join(
            f"{m} {'↑' if direction(m) > 0 else '↓'}"
            for m in (NET, "harm.total", "enforcement.false_positives", "enforcement.fp_rate")
            if f"{m}.mean" in summary)
        + " (arrow: the better direction). Pareto frontier over " + ", ".join(ctx.objectives) + ".",
    ]
    return [Heading("The question"), Bullets(tuple(items))]


def _seeds_per_point(summary: pd.DataFrame) -> pd.Series:
    return summary[[c for c in summary if c.endswith(".n")]].max(axis=1).astype(int)


def _cell(summary: pd.DataFrame, point: str, metric: str, seeds: int) -> str:
    text = format_estimate(*(summary.at[point, f"{metric}.{s}"]
                             for s in ("mean", "ci_low", "ci_high")))
    n = int(summary.at[point, f"{metric}.n"])
    return text if n == seeds else f"{text} (n={n})"


def _star_text(rec: Recommendation) -> str:
    if rec.point is None:
        return "◆ marks the Pareto frontier."
    if rec.recommended:
        return "★ marks the recommendation, ◆ the Pareto frontier."
    return ("★ marks the point with the highest platform net (not a recommendation), ◆ the "
            "Pareto frontier.")


def _headline_tables(w: WorldReport, points: list[str], level: int) -> list[Block]:
    metrics = w.headline
    flagged = (" ⚠ marks a point with fewer complete seeds than planned: its interval is wider "
               "and it is compared on fewer seeds." if w.coverage.short else "")
    empty = w.coverage.empty
    if empty:
        flagged += (" Points without a complete run are listed last, with no values: they "
                    "cannot be compared until their runs exist.")
    blocks: list[Block] = [
        Heading("Results by policy point", level),
        Paragraph(f"Mean over seeds, with the {LEVEL_TEXT} confidence interval in brackets: "
                  "Student t over seeds, mean ± t(n−1)·sd/√n, where n is the number of seeds "
                  "(the Seeds column; a cell says n=… when some runs reported no value). "
                  f"{_star_text(w.recommendation)} A point with one seed has no interval "
                  f"(shown as 'no CI').{flagged}"),
    ]
    seeds = _seeds_per_point(w.summary)
    used: set[str] = set()
    for title, prefix in _TABLE_GROUPS:
        group = [m for m in metrics if m.startswith(prefix) and m not in used]
        used.update(group)
        if not group:
            continue
        header = ("Point", "Seeds", *(
            m if prefix else f"{m} ({metric_unit(m)})" for m in group))
        rows = [(_marks(w, p), str(seeds[p]),
                 *(_cell(w.summary, p, m, seeds[p]) for m in group)) for p in points]
        rows += [(f"{_code(p)} (no complete run)", f"0 of {w.coverage.seeds[p][1]}",
                  *("—" for _ in group)) for p in empty]
        blocks += [Heading(title, level + 1), Table(header, tuple(rows), "lr" + "r" * len(group))]
        if "harm.bot_diverted_gifts" in group:
            blocks.append(Paragraph("harm.total is the sum of the four harms beside it; "
                                    "harm.bot_diverted_gifts (benign gifts received by bot-boosted "
                                    "creators) is shown with them but is not part of it."))
    return blocks


def _reading(metric: str, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no CI"
    if low == high == 0:
        return "identical on every seed"
    if low <= 0 <= high:
        return "no clear change"
    up = low > 0
    sign = direction(metric)
    if sign == 0:
        return "higher" if up else "lower"
    return "better" if (sign > 0) == up else "worse"


def _delta_table(w: WorldReport, points: list[str], level: int) -> list[Block]:
    s = w.summary
    metrics = [m for m in _DELTA_METRICS if f"{m}.delta" in s]
    others = [p for p in points if p != w.baseline]
    blocks: list[Block] = [Heading("Differences from the baseline", level)]
    if not others or not metrics:
        return blocks + [Paragraph("There is a single policy point with complete runs: nothing "
                                   "to compare.")]
    ratios = []
    rows = []
    for p in others:
        flag = _short_flag(w, p)
        for m in metrics:
            d, lo, hi, n = (s.at[p, f"{m}.{k}"] for k in
                            ("delta", "delta_ci_low", "delta_ci_high", "delta_n"))
            wlo, whi = s.at[p, f"{m}.delta_welch_ci_low"], s.at[p, f"{m}.delta_welch_ci_high"]
            if hi - lo > 0 and math.isfinite(whi - wlo):
                ratios.append((whi - wlo) / (hi - lo))
            rows.append((_code(p) + (f" ({flag})" if flag else ""), m, format_number(d),
                         f"[{format_number(lo)}, {format_number(hi)}]",
                         f"[{format_number(wlo)}, {format_number(whi)}]", str(int(n)),
                         _reading(m, lo, hi)))
    gain = (f" Here the unpaired interval is a median {pd.Series(ratios).median():.1f}× as wide "
            "as the paired one." if ratios else "")
    blocks += [
        Paragraph(
            f"Point minus baseline ({_code(w.baseline)}), per run, in each metric's unit. The "
            f"paired {LEVEL_TEXT} CI is the t interval of the per-seed differences: with common "
            "random numbers, the seed-to-seed variation both points share cancels out. The "
            "unpaired (Welch) CI of the same difference on the same seeds shows roughly how wide "
            "the interval would be without pairing." + gain +
            " 'Reading' uses the paired CI: better or worse when it excludes zero, in the "
            "outcome's better direction." + (
                " ⚠ marks a point with fewer complete seeds than planned; Pairs counts the seeds "
                "it shares with the baseline." if w.coverage.short else "")),
        Table(("Point", "Outcome", "Δ", f"paired {LEVEL_TEXT} CI", f"unpaired {LEVEL_TEXT} CI",
               "Pairs", "Reading"), tuple(rows), "llrrrrl"),
    ]
    return blocks


def _missing(ctx: ReportContext) -> list[Block]:
    sweep = ctx.sweep
    blocks: list[Block] = [Heading("Missing and failed runs")]
    caution = ("" if (sweep.root / "multirun.yaml").is_file() else
               " No multirun.yaml was found, so runs that never started could not be detected.")
    n = len(sweep.missing)
    unlisted = ctx.n_planned - len(sweep.runs) - n
    if unlisted > 0:
        caution += (f" The sweep recorded {ctx.n_planned} planned runs at its start; "
                    f"{unlisted} of them left no folder and cannot be listed here.")
    if n == 0:
        return blocks + [Paragraph(f"None: all {len(sweep.runs)} runs found completed.{caution}")]
    worlds = WORLD in sweep.missing
    rows = tuple((_code(r.run_dir) if r.run_dir else "(never created)",
                  *((_code(getattr(r, WORLD)),) if worlds else ()), _code(r.point),
                  "" if pd.isna(r.seed) else str(r.seed), r.reason)
                 for r in sweep.missing.itertuples(index=False))
    header = ("Run directory", *(("World",) if worlds else ()), "Point", SEED, "Reason")
    return blocks + [
        Paragraph(f"{'1 run is' if n == 1 else f'{n} runs are'} missing or failed; the statistics "
                  "of their points use the remaining seeds (see the Seeds column), and a point "
                  "with none has no statistics at all. They are also listed in missing.csv."
                  f"{caution}"),
        Table(header, rows, "l" + "l" * worlds + "lrl"),
    ]


def environment() -> list[tuple[str, str]]:
    """Python and key package versions of the environment making the report."""
    found = [("Python", platform.python_version())]
    for name in PACKAGES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, "not installed"))
    return found


def _reproduce(ctx: ReportContext) -> list[Block]:
    prov = ctx.sweep.provenance
    blocks: list[Block] = [Heading("Reproduce")]
    if prov.sweep_command:
        blocks += [Paragraph("The sweep was run with:"), Code(prov.sweep_command, "sh")]
    if prov.run_command:
        blocks += [Paragraph(f"Run {_code(prov.config_run)} alone is reproduced with:"),
                   Code(prov.run_command, "sh")]
    if not (prov.sweep_command or prov.run_command):
        blocks.append(Paragraph("The runs record no command and there is no multirun.yaml."))
    commits = ", ".join(c or "not recorded" for c in prov.git_commits) or "not recorded"
    if any(c and c.endswith("-dirty") for c in prov.git_commits):
        commits += " (-dirty: run from a checkout with uncommitted changes, so the commit alone may not reproduce it)"
    env = ", ".join(f"{name} {v}" for name, v in environment())
    blocks.append(Bullets((
        f"**livesim version:** {', '.join(prov.versions) or 'not recorded'}; "
        f"**git commit:** {commits}.",
        f"**Report made** {ctx.generated} with {env} (the report's environment; the runs may "
        "have used another).",
        "**Files beside this report:** runs.csv (one row per run), summary.csv (per point, every "
        "metric, with paired and unpaired difference intervals), missing.csv, plots/, "
        "report_options.json (this report's baseline and limits).",
        f"**This report:** {_code(ctx.command)}.",
    )))
    if prov.config is not None:
        blocks += [Paragraph(f"Resolved config of run {_code(prov.config_run)} (the others "
                             "differ only in the overrides above):"),
                   Code(yaml.safe_dump(prov.config, sort_keys=False, allow_unicode=True), "yaml")]
    return blocks


def title(ctx: ReportContext) -> str:
    """The report's title: the sweep folder's name, and INCOMPLETE when runs are missing."""
    name = f"livesim policy sweep: {ctx.sweep.root.resolve().name}"
    return f"INCOMPLETE — {name}" if ctx.incomplete else name


def _incomplete_banner(ctx: ReportContext) -> list[Block]:
    sweep = ctx.sweep
    n_done = len(sweep.runs)
    lines = [f"**⚠ INCOMPLETE SWEEP: only {n_done} of {ctx.n_planned} planned runs completed "
             f"({ctx.n_planned - n_done} missing or failed).**"]
    empty = [(w, p) for w in ctx.worlds for p in w.coverage.empty]
    short = [(w, p, c) for w in ctx.worlds for p, c in w.coverage.short.items()]
    if empty:
        shown = ", ".join(_point_name(ctx, w, p) for w, p in empty[:12])
        more = f" and {len(empty) - 12} more" if len(empty) > 12 else ""
        lines.append(f"{len(empty)} of {sum(len(w.coverage.seeds) for w in ctx.worlds)} policy "
                     f"points have no complete run ({shown}{more}): the points cannot be "
                     "compared until those runs exist, so no point is recommended or "
                     "highlighted" + (" in the worlds concerned" if len(ctx.worlds) > 1 else "")
                     + ".")
    if short:
        shown = ", ".join(f"{_point_name(ctx, w, p)} ({have} of {want})"
                          for w, p, (have, want) in short[:12])
        more = f" and {len(short) - 12} more" if len(short) > 12 else ""
        lines.append(f"{len(short)} point(s) have fewer complete seeds than planned: {shown}"
                     f"{more}. They are flagged ⚠ wherever they are ranked; their intervals are "
                     "wider and they are compared on fewer seeds.")
    lines.append(f"Resume the sweep (finished runs are kept and skipped), then rebuild this "
                 f"report: {_code(ctx.resume)}. The missing runs are listed under 'Missing and "
                 "failed runs' and in missing.csv.")
    return [Paragraph(" ".join(lines))]


def _worlds_note(ctx: ReportContext) -> list[Block]:
    if len(ctx.worlds) < 2:
        return []
    keys = ", ".join(_code(k) for k in ctx.sweep.world_keys)
    return [Paragraph(
        f"**{len(ctx.worlds)} simulated worlds.** This sweep varies {keys}, which "
        f"{'defines' if len(ctx.sweep.world_keys) == 1 else 'define'} the simulated world (its "
        "population, economy, adversaries or detector accuracy) rather than the policy. Runs in "
        "different worlds do not share a population, so policy points are compared, and paired "
        "by seed, only within a world: each world below has its own baseline, results and answer, "
        "and nothing is recommended across worlds.")]


def _world_results(ctx: ReportContext, w: WorldReport, level: int) -> list[Block]:
    if not len(w.summary):
        return [Paragraph("No run of this world completed: nothing to show.")]
    points, trimmed = _table_points(w)
    blocks: list[Block] = [Paragraph(trimmed)] if trimmed else []
    blocks += _headline_tables(w, points, level)
    blocks += _delta_table(w, points, level)
    if w.plots:
        blocks.append(Heading("Charts", level))
        blocks += [Image(p) for p in w.plots]
    return blocks


def compose(ctx: ReportContext) -> list[Block]:
    """Lay out the report: status and answer first, then question, results, charts, caveats."""
    sweep = ctx.sweep
    n_points = sum(len(w.sweep.points) for w in ctx.worlds)
    n_seen = sum(len(w.coverage.seeds) for w in ctx.worlds)
    where = f" in {len(ctx.worlds)} worlds" if len(ctx.worlds) > 1 else ""
    blocks: list[Block] = [
        Heading(title(ctx), 1),
        Paragraph(f"Sweep directory {_code(sweep.root)}: {len(sweep.runs)} complete runs at "
                  f"{n_points} of {n_seen} policy points{where}; {len(sweep.missing)} missing or "
                  f"failed. Report generated {ctx.generated}."),
    ]
    if ctx.incomplete:
        blocks += _incomplete_banner(ctx)
    blocks += _worlds_note(ctx)
    heading = "Recommendation" if ctx.limits_given else "Result (no limits given)"
    if len(ctx.worlds) == 1:
        rec = ctx.worlds[0].recommendation
        blocks += [Heading(heading), Paragraph(f"**{rec.headline}**"), Bullets(rec.details)]
    else:
        blocks.append(Heading(f"{heading}, world by world"))
        for w in ctx.worlds:
            rec = w.recommendation
            blocks += [Heading(f"World {_code(w.label)}", 3), Paragraph(f"**{rec.headline}**")]
            if rec.details:
                blocks.append(Bullets(rec.details))
    blocks += _question(ctx)
    if len(ctx.worlds) == 1:
        blocks += _world_results(ctx, ctx.worlds[0], 2)
    else:
        for w in ctx.worlds:
            blocks += [Heading(f"World {_code(w.label)}: results"), *_world_results(ctx, w, 3)]
    blocks += _missing(ctx)
    if sweep.notes:
        blocks += [Heading("Notes from reading the runs"), Bullets(sweep.notes)]
    blocks += [Heading("Caveats"), Bullets(CAVEATS)]
    blocks += _reproduce(ctx)
    return blocks


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Sequence[Block], image_dir: str = "plots") -> str:
    """Serialize blocks as Markdown; images link to ``<image_dir>/<name>.png``."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(_md_cell(h) for h in block.header) + " |",
                     "|" + "".join(" --: |" if a == "r" else " :-- |" for a in block.align)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
        elif isinstance(block, Image):
            plot = block.plot
            out.append(f"![{plot.title}]({image_dir}/{plot.name}.png)\n\n*{plot.caption}*")
        elif isinstance(block, Code):
            out.append(f"```{block.language}\n{block.text.rstrip()}\n```")
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.7em; border-bottom: 2px solid #ccc; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .8em 0; font-size: 13px; display: block;
        overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; white-space: nowrap; }
th.r, td.r { text-align: right; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
code { font: 12.5px ui-monospace, Menlo, Consolas, monospace; background: #f3f3f3;
       padding: 0 .2em; border-radius: 3px; }
pre { background: #f6f6f6; border: 1px solid #e2e2e2; padding: .8em; overflow-x: auto; }
pre code { background: none; padding: 0; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; }
"""


def render_html(blocks: Sequence[Block], title: str) -> str:
    """Serialize blocks as one HTML page with inline CSS and images as base64 data URIs."""
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Table):
            cls = [' class="r"' if a == "r" else "" for a in block.align]
            head = "".join(f"<th{c}>{_inline(h)}</th>" for c, h in zip(cls, block.header,
                                                                        strict=True))
            rows = "".join("<tr>" + "".join(f"<td{c}>{_inline(v)}</td>" for c, v in zip(
                cls, row, strict=True)) + "</tr>" for row in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Image):
            plot = block.plot
            data = base64.b64encode(plot.png).decode("ascii")
            body.append(f'<figure><img src="data:image/png;base64,{data}" '
                        f'alt="{html.escape(plot.title)}"><figcaption>'
                        f"{_inline(plot.caption)}</figcaption></figure>")
        elif isinstance(block, Code):
            body.append(f"<pre><code>{html.escape(block.text.rstrip())}</code></pre>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
