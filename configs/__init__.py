"""livesim's Hydra config tree, shipped as package data (``livesim.configs``)."""
