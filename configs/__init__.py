"""livesim's Hydra config tree, shipped as package data (``livesim.configs``).

Importing the package (``livesim.cli`` does, to find the tree) registers the ``livesim.new_dir``
resolver that ``config.yaml`` uses for the run and sweep folders.
"""

from __future__ import annotations

import os

from omegaconf import OmegaConf

__all__ = ["new_dir", "settings"]

#: ``create_folders`` is turned off when a command only shows the config (``--cfg``): the run and
#: sweep folders then resolve to their names without being made.
settings = {"create_folders": True}


def new_dir(base: str) -> str:
    """Create and return the folder ``base``, or ``base_2``, ``base_3``… when it exists already.

    ``os.mkdir`` succeeds for exactly one process, so two runs started in the same second never
    share a folder: the first gets ``<time>``, the next ``<time>_2``. The resolver is cached, so
    a config resolves it (and creates a folder) once, and a sweep's jobs share the parent's.
    """
    if not settings["create_folders"]:
        return base
    os.makedirs(os.path.dirname(base) or ".", exist_ok=True)
    candidate, n = base, 1
    while True:
        try:
            os.mkdir(candidate)
        except FileExistsError:
            n += 1
            candidate = f"{base}_{n}"
        else:
            return candidate


OmegaConf.register_new_resolver("livesim.new_dir", new_dir, use_cache=True, replace=True)
