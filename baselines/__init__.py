"""Baselines for inventory-gym: the heuristics of the operations-research literature (pure
batched policies with their fitting), exact dynamic programming, and PPO.

Everything here depends on :mod:`inventory_gym` (its kernels and its evaluation harness), never
the reverse. :mod:`baselines.registry` maps policy names to their fitting functions for the
command line.
"""
