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

from livesim.report.aggregate import SEED, Sweep, format_override, format_value, value_sort_key
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
    "compose",
    "environment",
    "render_html",
    "render_markdown",
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
class ReportContext:
    """Everything the report shows, computed beforehand.

    Attributes
    ----------
    sweep : Sweep
        The runs.
    summary : pandas.DataFrame
        :func:`livesim.report.stats.summarize` output.
    frontier : pandas.Series of bool
        Which points are on the Pareto frontier.
    objectives : tuple of str
        The frontier's objectives.
    headline : tuple of str
        The metrics the tables show (headline metrics with at least one value).
    baseline : str
        The baseline point's label.
    baseline_given : bool
        Whether the user named the baseline (else it is the first point).
    recommendation : Recommendation
        The answer.
    plots : tuple of Plot
        The charts, in report order.
    generated : str
        When the report was made.
    command : str
        The ``livesim-report`` command that regenerates the report.
    """

    sweep: Sweep
    summary: pd.DataFrame
    frontier: pd.Series
    objectives: tuple[str, ...]
    headline: tuple[str, ...]
    baseline: str
    baseline_given: bool
    recommendation: Recommendation
    plots: tuple[Plot, ...]
    generated: str
    command: str


def _code(text: object) -> str:
    return f"`{text}`"


def _describe_seeds(seeds: Sequence[int]) -> str:
    if not seeds:
        return "none"
    if list(seeds) == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def _marks(ctx: ReportContext, point: str) -> str:
    marks = []
    if point == ctx.recommendation.point:
        marks.append("★ recommended")
    if point == ctx.baseline:
        marks.append("baseline")
    if bool(ctx.frontier.get(point, False)):
        marks.append("◆ frontier")
    return f"{_code(point)}" + (f" ({', '.join(marks)})" if marks else "")


def _table_points(ctx: ReportContext) -> tuple[list[str], str]:
    """Rows for the report's tables: every point, or the interesting ones in a wide sweep."""
    points = list(ctx.summary.index)
    if len(points) <= _MAX_ROWS:
        return points, ""
    keep = {ctx.baseline, ctx.recommendation.point} | set(ctx.frontier[ctx.frontier].index)
    shown = [p for p in points if p in keep][:_MAX_ROWS]
    return shown, (f"The sweep has {len(points)} points; the tables show {len(shown)} of them "
                   "(the baseline, the recommendation and the Pareto frontier, in sorted order). "
                   "summary.csv has every point and every metric.")


def _question(ctx: ReportContext) -> list[Block]:
    sweep, prov = ctx.sweep, ctx.sweep.provenance
    values = {lever: sorted({v[lever] for v in sweep.point_values.values() if lever in v},
                            key=value_sort_key)
              for lever in sweep.levers}
    levers = "; ".join(f"{_code(k)} ∈ {{{', '.join(format_value(v) for v in vals)}}}"
                       for k, vals in values.items()) or "none (every run has the same overrides)"
    per_point = _seeds_per_point(ctx.summary)
    items = [
        "**Question:** what do the swept levers do to the platform's net revenue, to harm and to "
        "false positives, compared with the baseline?",
        f"**Scenario:** {', '.join(_code(s) for s in prov.scenarios) or 'not recorded'}.",
        f"**Levers swept:** {levers}.",
    ]
    if sweep.fixed:
        items.append("**Fixed overrides:** " + ", ".join(
            _code(format_override(k, v)) for k, v in sweep.fixed.items()) + ".")
    lo, hi = int(per_point.min()), int(per_point.max())
    items += [
        f"**Seeds:** {_describe_seeds(sweep.seeds)} ({len(sweep.seeds)} distinct; "
        f"{lo if lo == hi else f'{lo}–{hi}'} per point). Runs with the same seed share their "
        "population and policy-independent random draws (common random numbers), so "
        "differences between points are compared seed by seed.",
        f"**Engine:** {', '.join(prov.engines) or 'not recorded'}; **run length:** "
        f"{', '.join(str(d) for d in prov.days) or 'not recorded'} days.",
        f"**Baseline:** {_code(ctx.baseline)} "
        + ("(given with --baseline)." if ctx.baseline_given
           else "(the first point in sorted order; choose another with --baseline)."),
        "**Outcomes:** " + ", ".join(
            f"{m} {'↑' if direction(m) > 0 else '↓'}"
            for m in (NET, "harm.total", "enforcement.false_positives", "enforcement.fp_rate")
            if f"{m}.mean" in ctx.summary)
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


def _headline_tables(ctx: ReportContext, points: list[str]) -> list[Block]:
    metrics = ctx.headline
    blocks: list[Block] = [
        Heading("Results by policy point"),
        Paragraph(f"Mean over seeds, with the {LEVEL_TEXT} confidence interval in brackets: "
                  "Student t over seeds, mean ± t(n−1)·sd/√n, where n is the number of seeds "
                  "(the Seeds column; a cell says n=… when some runs reported no value). "
                  "★ marks the recommendation, ◆ the Pareto frontier. A point with one seed "
                  "has no interval (shown as 'no CI')."),
    ]
    seeds = _seeds_per_point(ctx.summary)
    used: set[str] = set()
    for title, prefix in _TABLE_GROUPS:
        group = [m for m in metrics if m.startswith(prefix) and m not in used]
        used.update(group)
        if not group:
            continue
        header = ("Point", "Seeds", *(
            m if prefix else f"{m} ({metric_unit(m)})" for m in group))
        rows = tuple((_marks(ctx, p), str(seeds[p]),
                      *(_cell(ctx.summary, p, m, seeds[p]) for m in group)) for p in points)
        blocks += [Heading(title, 3), Table(header, rows, "lr" + "r" * len(group))]
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


def _delta_table(ctx: ReportContext, points: list[str]) -> list[Block]:
    s = ctx.summary
    metrics = [m for m in _DELTA_METRICS if f"{m}.delta" in s]
    others = [p for p in points if p != ctx.baseline]
    blocks: list[Block] = [Heading("Differences from the baseline")]
    if not others or not metrics:
        return blocks + [Paragraph("The sweep has a single policy point: nothing to compare.")]
    ratios = []
    rows = []
    for p in others:
        for m in metrics:
            d, lo, hi, n = (s.at[p, f"{m}.{k}"] for k in
                            ("delta", "delta_ci_low", "delta_ci_high", "delta_n"))
            wlo, whi = s.at[p, f"{m}.delta_welch_ci_low"], s.at[p, f"{m}.delta_welch_ci_high"]
            if hi - lo > 0 and math.isfinite(whi - wlo):
                ratios.append((whi - wlo) / (hi - lo))
            rows.append((_code(p), m, format_number(d),
                         f"[{format_number(lo)}, {format_number(hi)}]",
                         f"[{format_number(wlo)}, {format_number(whi)}]", str(int(n)),
                         _reading(m, lo, hi)))
    gain = (f" Here the unpaired interval is a median {pd.Series(ratios).median():.1f}× as wide "
            "as the paired one." if ratios else "")
    blocks += [
        Paragraph(
            f"Point minus baseline ({_code(ctx.baseline)}), per run, in each metric's unit. The "
            f"paired {LEVEL_TEXT} CI is the t interval of the per-seed differences: with common "
            "random numbers, the seed-to-seed variation both points share cancels out. The "
            "unpaired (Welch) CI of the same difference on the same seeds shows roughly how wide "
            "the interval would be without pairing." + gain +
            " 'Reading' uses the paired CI: better or worse when it excludes zero, in the "
            "outcome's better direction."),
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
    if n == 0:
        return blocks + [Paragraph(f"None: all {len(sweep.runs)} runs found completed.{caution}")]
    rows = tuple((_code(r.run_dir) if r.run_dir else "(never created)", _code(r.point),
                  "" if pd.isna(r.seed) else str(r.seed), r.reason)
                 for r in sweep.missing.itertuples(index=False))
    return blocks + [
        Paragraph(f"{'1 run is' if n == 1 else f'{n} runs are'} missing or failed; the statistics "
                  "of their points use the remaining seeds (see the Seeds column). They are also "
                  f"listed in missing.csv.{caution}"),
        Table(("Run directory", "Point", SEED, "Reason"), rows, "llrl"),
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
    env = ", ".join(f"{name} {v}" for name, v in environment())
    blocks.append(Bullets((
        f"**livesim version:** {', '.join(prov.versions) or 'not recorded'}; "
        f"**git commit:** {commits}.",
        f"**Report made** {ctx.generated} with {env} (the report's environment; the runs may "
        "have used another).",
        "**Files beside this report:** runs.csv (one row per run), summary.csv (per point, every "
        "metric, with paired and unpaired difference intervals), missing.csv, plots/.",
        f"**This report:** {_code(ctx.command)}.",
    )))
    if prov.config is not None:
        blocks += [Paragraph(f"Resolved config of run {_code(prov.config_run)} (the others "
                             "differ only in the overrides above):"),
                   Code(yaml.safe_dump(prov.config, sort_keys=False, allow_unicode=True), "yaml")]
    return blocks


def compose(ctx: ReportContext) -> list[Block]:
    """Lay out the report: recommendation first, then question, results, charts, caveats."""
    sweep, rec = ctx.sweep, ctx.recommendation
    points, trimmed = _table_points(ctx)
    blocks: list[Block] = [
        Heading(f"livesim policy sweep: {sweep.root.resolve().name}", 1),
        Paragraph(f"Sweep directory {_code(sweep.root)}: {len(sweep.runs)} complete runs at "
                  f"{len(sweep.points)} policy points; {len(sweep.missing)} missing or failed. "
                  f"Report generated {ctx.generated}."),
        Heading("Recommendation"),
        Paragraph(f"**{rec.headline}**"),
        Bullets(rec.details),
        *_question(ctx),
    ]
    if trimmed:
        blocks.append(Paragraph(trimmed))
    blocks += _headline_tables(ctx, points)
    blocks += _delta_table(ctx, points)
    if ctx.plots:
        blocks.append(Heading("Charts"))
        blocks += [Image(p) for p in ctx.plots]
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
