"""Reinforcement-learning defaults of dual sourcing (read by :mod:`baselines.algorithms`).

- ``dbp``: 600 gradient steps, about what ``benchmarks/dual_sourcing.py``'s published run got
  in 60 s, and a first burn-in of 16 periods instead of 100. From the untrained network's
  near-zero orders, 100 periods build a backlog of hundreds of units (a first training cost of
  about 33,000 a period at l_r = 3, c_e = 10); the carried state then starts there, the
  gradient norms reach 1e9-1e10, and with a 600-step schedule seed 0 ended at 71.5 a period,
  251% above the optimum (seed 1 stalled at about 55 too). With 16, the validation cost after
  100 steps is 20.38 and 20.41 there (seeds 0 and 1; optimum 20.34) and 20.67 on l_r = 4,
  c_e = 10 (optimum 20.61) (``benchmarks/README.md``, "Benchmark suites");
- every sb3 algorithm: 256-period training episodes (with 1000, a backlog that runs away
  early in training dominates the returns: PPO 41.6 against 26.3 on l_r = 2, c_e = 10);
- ``sb3:PPO``: the actor first imitates the capped dual index (behaviour cloning, validated at
  step 0; the network has no inventory structure). From the mean-demand start PPO collapses
  to ordering nothing within 100k steps and ends 67-96% above the optimum after 2M steps,
  whatever the noise, the rounding or the starting order; from the cloned start it keeps the
  heuristic's cost or improves on it (l_r = 4, c_e = 10: 0.62% against the heuristic's
  1.22%). Measurements: ``benchmarks/README.md``, "PPO tuning (issue 18)";
- ``sb3:A2C``: the same cloned start (the same actor-critic policy; A2C was not tuned here).
"""

BUDGETS = {"dbp": 600}
DBP = {"first_burn_in": 16}
SB3 = {
    "*": {"max_episode_steps": 256},
    "PPO": {"initial_policy": "capped_dual_index"},
    "A2C": {"initial_policy": "capped_dual_index"},
}
