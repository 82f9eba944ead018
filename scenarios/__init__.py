"""livesim's named scenarios, shipped as package data (``livesim.scenarios``)."""
