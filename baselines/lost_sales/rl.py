"""Reinforcement-learning defaults of lost sales (read by :mod:`baselines.algorithms`).

- every sb3 algorithm: the first order's starting exploration noise is at most the mean
  demand (``initial_spread = 1.0``). The order cap follows the demand's tail, so the default
  ``log_std_init = -1`` is a noise of a fifth of the cap: 2.8 units under Poisson(5) (cap 15,
  where this cap does not bind), but 9.2 under the geometric demand of mean 5 (cap 50), where
  the first orders, clipped at zero, average well above the demand. The stock then grows, the
  policy's mean is pushed below zero orders and stays there (every clipped order costs the
  same, so nothing pulls it back): on ``zipkin-geometric``, PPO ended at 20.0 a period (order
  nothing, 4 x 5) on p = 4 with L = 1 and L = 3, 104% and 91% above the optimum, after
  validating 11.0 at 33k steps and 20.0 from 66k on (L = 1). With a noise of at most the mean
  demand (log std -1.61 there), the same run has no collapse: 10.1 at 311k steps (optimum
  9.82). Measurements: ``benchmarks/README.md``, "PPO tuning (issue 18)", "Lost sales with
  geometric demand".
"""

SB3 = {"*": {"initial_spread": 1.0}}
