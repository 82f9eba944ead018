"""Proposal-ready reports from a sweep directory: tables, statistics, plots, report.md/.html."""

from __future__ import annotations

from pathlib import Path

from livesim.report.aggregate import ReportError
from livesim.report.build import BuiltReport, write_report

__all__ = ["BuiltReport", "ReportError", "build_report", "write_report"]


def build_report(sweep_dir: str | Path, baseline: str | None = None,
                 max_harm: float | None = None, max_fp_rate: float | None = None,
                 out_dir: str | Path | None = None) -> Path:
    """Write the report of a sweep and return the path of its ``report.html``.

    See :func:`livesim.report.build.write_report` for the parameters; files go into the sweep
    directory unless ``out_dir`` is given. An incomplete sweep still gets its report (marked
    INCOMPLETE, without a recommendation while a policy point has no complete run), so the
    end-of-sweep callback never fails on one; use ``write_report`` to learn whether it was.
    """
    return write_report(sweep_dir, baseline, max_harm, max_fp_rate, out_dir).html
