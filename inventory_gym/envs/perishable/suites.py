"""The perishable problem's benchmark suite (found by :mod:`inventory_gym.suites`).

``demoor``: De Moor, Gijsbrechts & Boute's (2022) scenario A on the (m, L) pairs of
``benchmarks/perishable_demoor.py``'s default: (2, 1), (2, 2), (3, 1), (3, 2), (4, 1), each with
FIFO and LIFO issuing and waste cost w in {7, 10} (20 instances; rounded gamma demand, mean 4,
cv 0.5, c = 3, p = 5, h = 1, max order 10). The suite scores the long-run average cost per
period, the quantity an RL agent's average reward estimates; the literature's numbers
(Farrington et al. 2025, Table 3) are discounted returns of a 365-period window, another
quantity, so ``published`` is ``None`` (the benchmark script reproduces those:
``benchmarks/results/perishable_demoor_exact.csv``).
"""

from __future__ import annotations

from inventory_gym.suites import Suite, SuiteEvaluation, SuiteInstance

ENV = "Perishable-v0"
PAIRS = ((2, 1), (2, 2), (3, 1), (3, 2), (4, 1))
"""(useful life m, lead time L): the state spaces (11^(m + L - 1) states) the DP solves in
seconds; m = 4, L = 2 and m = 5 are left out."""

DEMOOR = Suite(
    name="demoor",
    version=1,
    problem="perishable",
    description="De Moor et al. (2022) scenario A: perishable inventory, m in 2..4, L in 1..2 "
    "(the 5 pairs of benchmarks/perishable_demoor.py), FIFO and LIFO, w in {7, 10}. Optimum: "
    "the long-run average cost per period (relative value iteration), not the discounted "
    "365-period return the literature reports. Reference: the best base-stock policy.",
    instances=tuple(
        SuiteInstance(
            name=f"m{m}-L{lead}-{rule}-w{w}",
            env_id=ENV,
            kwargs={"useful_life": m, "lead_time": lead, "issuing": rule, "waste_cost": w},
            reference="base_stock",
            note=f"m = {m}, L = {lead}, {rule} issuing, w = {w}",
        )
        for m, lead in PAIRS
        for rule in ("FIFO", "LIFO")
        for w in (7, 10)
    ),
    evaluation=SuiteEvaluation(num_paths=1000, periods=2000, burn_in=1000, seed=0),
)

SUITES = (DEMOOR,)
"""The suites of the perishable problem."""
