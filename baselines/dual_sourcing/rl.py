"""Reinforcement-learning defaults of dual sourcing (read by :mod:`baselines.algorithms`).

- ``dbp``: 600 gradient steps, about what ``benchmarks/dual_sourcing.py``'s published run got
  in 60 s;
- every sb3 algorithm: 256-period training episodes (with 1000, a backlog that runs away
  early in training dominates the returns: PPO 41.6 against 26.3 on l_r = 2, c_e = 10).
"""

BUDGETS = {"dbp": 600}
SB3 = {"*": {"max_episode_steps": 256}}
