"""The Mesa agent-based model: the same rules as ``livesim.core``, applied agent by agent.

This is the only package that imports Mesa (importing Mesa switches ``multiprocessing`` to the
``spawn`` start method), so ``livesim.core`` and the runner stay free of it.

* :class:`LivesimModel` — a ``mesa.Model`` whose ``step`` is one hour; parameters are keyword
  arguments (``LivesimModel(viewers=2000, risk_threshold=0.9)``), so ``mesa.batch_run`` can
  sweep them.
* :class:`CreatorAgent`, :class:`ViewerAgent` — one ``mesa.Agent`` per creator and viewer.
* :func:`run_mesa` — the runner's ``engine=mesa``: parameters in,
  :class:`~livesim.platform.RunResult` out.
"""

from livesim.model.agents import CreatorAgent, ViewerAgent
from livesim.model.model import MESA_VERSION, REPORTED_METRICS, LivesimModel, param_keys, run_mesa

__all__ = ["MESA_VERSION", "REPORTED_METRICS", "CreatorAgent", "LivesimModel", "ViewerAgent", "param_keys",
           "run_mesa"]
