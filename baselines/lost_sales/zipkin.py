"""Zipkin (2008), "Old and new methods for lost-sales inventory systems", Operations Research
56(5), Tables 3 and 4: the published numbers we reproduce (SCENARIOS.md section 1).

Instances: Poisson(5) demand (Table 3) or geometric demand of mean 5 (Table 4), h = 1, c = 0,
p in {4, 9, 19, 39}, L in {1, 2, 3, 4}. Each table maps p to the costs for L = 1..4. These are
reference values to compare against, never inputs of a computation. Of Table 4, SCENARIOS.md
gives only the constant-order row; its other values are not available here.
"""

from __future__ import annotations

import itertools

# Table 3's optimum and best base stock are declared once, with the benchmark suite that scores
# against them (inventory_gym cannot import baselines, so the suite holds them).
from inventory_gym.envs.lost_sales.suites import LEAD_TIMES, LOST_SALES_COSTS
from inventory_gym.envs.lost_sales.suites import ZIPKIN_TABLE3 as OPTIMAL
from inventory_gym.envs.lost_sales.suites import ZIPKIN_TABLE3_BASE_STOCK as BEST_BASE_STOCK

INSTANCES: tuple[tuple[int, int], ...] = tuple(itertools.product(LOST_SALES_COSTS, LEAD_TIMES))
"""Every (p, L) pair of the table."""

MYOPIC1 = {
    4: (4.11, 4.56, 4.84, 5.06),
    9: (5.45, 6.22, 6.80, 7.20),
    19: (6.69, 7.77, 8.56, 9.18),
    39: (7.88, 9.16, 10.17, 11.04),
}
MYOPIC2 = {
    4: (4.04, 4.41, 4.64, 4.82),
    9: (5.44, 6.10, 6.57, 6.92),
    19: (6.68, 7.67, 8.40, 8.96),
    39: (7.84, 9.12, 10.07, 10.84),
}
BEST_CONSTANT_ORDER = {4: 5.27, 9: 10.27, 19: 15.78, 39: 18.21}
"""Independent of L."""
TABLE4_CONSTANT_ORDER = {4: 11.00, 9: 18.19, 19: 28.60, 39: 36.73}
"""Table 4 (geometric demand): the best constant order as published (Zipkin's truncated
state space, as for Table 3's row; independent of L)."""
DEMAND = {3: "poisson(5)", 4: "geometric(5)"}
"""Table -> the demand of its instances."""
NEWSVENDOR = {4: 3.2774, 9: 4.2211, 19: 5.0803, 39: 5.8875}
"""L = 0: the optimal (newsvendor) cost."""

PUBLISHED = {
    "optimal": OPTIMAL,
    "myopic1": MYOPIC1,
    "myopic2": MYOPIC2,
    "base_stock": BEST_BASE_STOCK,
}
"""Policy name (as in :mod:`baselines.registry`) -> published table."""


def published(policy: str, p: int, lead_time: int, table: int = 3) -> float | None:
    """The published cost of a policy on an instance of Table 3 or 4, or None when the table
    has none (here: every Table 4 value but the constant order's)."""
    if policy == "constant_order":
        return (BEST_CONSTANT_ORDER if table == 3 else TABLE4_CONSTANT_ORDER).get(p)
    if table != 3:
        return None
    table = PUBLISHED.get(policy)
    if table is None or p not in table or not 1 <= lead_time <= 4:
        return None
    return table[p][lead_time - 1]


def parse_instances(text: str | None) -> list[tuple[int, int]]:
    """``"4:1,39:4"`` -> [(4, 1), (39, 4)] as (p, L) pairs; empty or None -> all 16.

    Raises:
        ValueError: for a part that is not ``p:L`` with two integers.
    """
    if not text:
        return list(INSTANCES)
    out = []
    for part in text.split(","):
        p, _, lead = part.partition(":")
        try:
            out.append((int(p), int(lead)))
        except ValueError:
            raise ValueError(f"--instances: expected p:L pairs like 9:4, got {part!r}") from None
    return out
