"""The ``inventory-gym`` command line (entry point :func:`inventory_gym_cli.main.main`).

- :mod:`inventory_gym_cli.main`: the parser and the entry point;
- :mod:`inventory_gym_cli.commands`: one module per command (``list``, ``evaluate``,
  ``solve``, ``train``, ``compare``);
- :mod:`inventory_gym_cli.options`: the argument helpers the commands share;
- :mod:`inventory_gym_cli.configflags`: the training flags, generated from the config
  dataclasses;
- :mod:`inventory_gym_cli.artifacts`: one loader for every saved policy;
- :mod:`inventory_gym_cli.pipeline`: fit, solve, train, evaluate, paired gaps, write the table
  (``compare`` and every benchmark call it).

It sits on top of the stack: it uses :mod:`inventory_gym` (envs, harness), :mod:`baselines`
(heuristics, exact DP, PPO) and :mod:`dbp`, and nothing in them imports it.
"""
