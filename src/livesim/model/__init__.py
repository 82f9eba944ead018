"""The Mesa agent-based model: the same rules as ``livesim.core``, applied agent by agent."""
