"""The console commands' entry points (``livesim``, ``livesim-check``, ``livesim-report``).

They load the command's module themselves, so that a Ctrl-C in the second or so that numpy, scipy
and Hydra take to import ends with one line and exit status 130, as a Ctrl-C later does, instead
of a traceback. This module imports nothing heavy.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["fresh_line", "livesim", "livesim_check", "livesim_report"]


def livesim() -> int | None:
    """``livesim``: run a scenario or a sweep (:func:`livesim.cli.main`)."""
    return _load("livesim", "livesim.cli", "main")()


def livesim_check() -> int | None:
    """``livesim-check``: check a configuration's run contract (:func:`livesim.cli.check_main`)."""
    return _load("livesim-check", "livesim.cli", "check_main")()


def livesim_report() -> int | None:
    """``livesim-report``: build a sweep's report (:func:`livesim.report.cli.main`)."""
    return _load("livesim-report", "livesim.report.cli", "main")()


def fresh_line() -> str:
    """What starts a message on stderr: a newline on a terminal, nothing when stderr is a file.

    On a terminal a ^C or a progress line may have left the cursor mid-line.
    """
    return "\n" if sys.stderr.isatty() else ""


def _load(command: str, module: str, name: str) -> Callable[[], int | None]:
    try:
        return getattr(importlib.import_module(module), name)
    except KeyboardInterrupt:
        print(f"{fresh_line()}{command}: interrupted while starting; nothing was run or written", file=sys.stderr)
        sys.exit(130)
