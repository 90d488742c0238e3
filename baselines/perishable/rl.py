"""Reinforcement-learning defaults of perishable inventory (read by
:mod:`baselines.algorithms`).

- ``dbp``: 1100 gradient steps, validated every 50 (the rounded policy hops between
  configurations up to 1.5% apart while training: frequent validation keeps the good ones;
  ``benchmarks/README.md``, De Moor's instances).
"""

BUDGETS = {"dbp": 1100}
DBP = {"eval_every": 50}
