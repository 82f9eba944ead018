"""Proposal-ready reports from a sweep directory: tables, statistics, plots, report.md/.html."""
