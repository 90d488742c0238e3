"""The ``inventory-gym`` command line (:mod:`inventory_gym_cli.main`).

It sits on top of the stack: it uses :mod:`inventory_gym` (envs, harness) and :mod:`baselines`
(heuristics, exact DP), and nothing imports it.
"""
