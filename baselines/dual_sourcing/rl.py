"""Reinforcement-learning defaults of dual sourcing (read by :mod:`baselines.algorithms`).

- ``dbp``: 600 gradient steps, about what ``benchmarks/dual_sourcing.py``'s published run got
  in 60 s;
- every sb3 algorithm: 256-period training episodes (with 1000, a backlog that runs away
  early in training dominates the returns: PPO 41.6 against 26.3 on l_r = 2, c_e = 10);
- ``sb3:PPO``: the actor first imitates the capped dual index (behaviour cloning, validated at
  step 0; the network has no inventory structure). From the mean-demand start PPO collapses
  to ordering nothing within 100k steps and ends 67-96% above the optimum after 2M steps,
  whatever the noise, the rounding or the starting order; from the cloned start it keeps the
  heuristic's cost or improves on it (l_r = 4, c_e = 10: 0.62% against the heuristic's
  1.22%). Measurements: ``benchmarks/README.md``, "PPO tuning (issue 18)".
"""

BUDGETS = {"dbp": 600}
SB3 = {
    "*": {"max_episode_steps": 256},
    "PPO": {"initial_policy": "capped_dual_index"},
}
