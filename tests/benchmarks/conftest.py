"""Benchmarks time engines built inside the timed function: compile livesim's loops before any round."""

from livesim import kernels

kernels.load()
