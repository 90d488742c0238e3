"""The lost-sales problem's benchmark suites (found by :mod:`inventory_gym.suites`).

- ``zipkin-poisson``: Zipkin's (2008) Table 3, Poisson(5) demand, h = 1, c = 0,
  p in {4, 9, 19, 39}, L in {1, 2, 3, 4}; published optima to two decimals.
- ``zipkin-geometric``: the same grid with geometric demand of mean 5 (Table 4, whose optima
  are not available here: ``published`` is ``None``).
- ``nonstationary``: six products whose demand law changes over a 52-period horizon (a trend
  up and one down, a regime switch up and one down, two life cycles), h = 1, p = 9, L = 2,
  from the empty state; the optimum is the finite-horizon DP that knows every period's law.

The published numbers are those of SCENARIOS.md section 1 (``baselines/lost_sales/zipkin.py``
holds the same table; this package cannot import it).
"""

from __future__ import annotations

from inventory_gym.suites import Suite, SuiteEvaluation, SuiteInstance

ENV = "LostSalesLeadTime-v0"
LOST_SALES_COSTS = (4, 9, 19, 39)
LEAD_TIMES = (1, 2, 3, 4)
ZIPKIN_TABLE3 = {
    4: (4.04, 4.40, 4.60, 4.73),
    9: (5.44, 6.09, 6.53, 6.84),
    19: (6.68, 7.66, 8.36, 8.89),
    39: (7.84, 9.11, 10.04, 10.79),
}
"""Zipkin (2008), Table 3: the optimal long-run average cost for L = 1..4 (SCENARIOS.md)."""
ZIPKIN_TABLE3_BASE_STOCK = {
    4: (4.16, 4.64, 4.98, 5.20),
    9: (5.55, 6.32, 6.86, 7.27),
    19: (6.73, 7.84, 8.60, 9.23),
    39: (7.86, 9.19, 10.22, 11.06),
}
"""Zipkin (2008), Table 3: the best base-stock policy's cost for L = 1..4 (the reference)."""
PUBLISHED_TOLERANCE = 0.0051
"""How close an exact optimum must be to a published two-decimal value (its rounding)."""

LONG_RUN = SuiteEvaluation(num_paths=1000, periods=2000, burn_in=1000, seed=0)
"""Long-run average cost per period: 1000 paths x 2000 periods after 1000 burn-in periods
(``benchmarks/lost_sales_zipkin.py``'s test paths; standard error about 0.1-0.25% of the
cost)."""


def _zipkin(name: str, demand: str, published: bool, description: str) -> Suite:
    return Suite(
        name=name,
        version=1,
        problem="lost_sales",
        description=description,
        instances=tuple(
            SuiteInstance(
                name=f"p{p}-L{lead}",
                env_id=ENV,
                kwargs={"lead_time": lead, "lost_sales_cost": p, "demand": demand},
                published=ZIPKIN_TABLE3[p][lead - 1] if published else None,
                tolerance=PUBLISHED_TOLERANCE if published else None,
                reference_published=ZIPKIN_TABLE3_BASE_STOCK[p][lead - 1] if published else None,
                reference="base_stock",
                note=f"{demand} demand, h = 1, p = {p}, L = {lead}",
            )
            for p in LOST_SALES_COSTS
            for lead in LEAD_TIMES
        ),
        evaluation=LONG_RUN,
    )


ZIPKIN_POISSON = _zipkin(
    "zipkin-poisson",
    "poisson(5)",
    True,
    "Zipkin (2008) Table 3: lost sales, Poisson(5) demand, h = 1, c = 0, p in {4, 9, 19, 39}, "
    "L in {1, 2, 3, 4}. Optimum: the long-run average cost per period (relative value "
    "iteration on Zipkin's bounds); published: Zipkin's optimum to two decimals. Reference: "
    "the best base-stock policy.",
)
ZIPKIN_GEOMETRIC = _zipkin(
    "zipkin-geometric",
    "geometric(5)",
    False,
    "Zipkin (2008) Table 4's grid: lost sales, geometric demand of mean 5, h = 1, c = 0, "
    "p in {4, 9, 19, 39}, L in {1, 2, 3, 4}. Optimum: the long-run average cost per period "
    "(relative value iteration); Table 4's optima are not available here (published: None). "
    "Reference: the best base-stock policy.",
)

NONSTATIONARY_PRODUCTS = {
    "trend-up": "trend(4,0.12)",
    "trend-down": "trend(10,-0.12,2)",
    "regime-up": "regime(4,9,26)",
    "regime-down": "regime(9,3,26)",
    "lifecycle-fast": "lifecycle(10,8,28,16,1)",
    "lifecycle-slow": "lifecycle(8,20,12,20,1,2)",
}
"""Product -> demand spec. Every one's reference periods are the 52 of the horizon (a trend's
and a 26-period regime's by definition, the life cycles' ramp + plateau + decline), which is
what the exact solver's finite-horizon DP solves over; the last is negative binomial (variance
twice the mean)."""
HORIZON = 52

NONSTATIONARY = Suite(
    name="nonstationary",
    version=1,
    problem="lost_sales",
    description="Lost sales with demand whose law changes over a 52-period horizon (trends, "
    "regime switches, life cycles; SCENARIOS.md section 5): h = 1, p = 9, L = 2, from the "
    "empty state. Optimum: the expected cost per period of the 52 periods from the start "
    "under the finite-horizon DP that knows each period's law (the oracle of "
    "benchmarks/nonstationary.py); scored on 52 periods, no burn-in. Reference: the best "
    "stationary base-stock level over the horizon. No published values.",
    instances=tuple(
        SuiteInstance(
            name=name,
            env_id=ENV,
            kwargs={"lead_time": 2, "lost_sales_cost": 9, "demand": spec},
            reference="base_stock",
            note=f"demand {spec}",
        )
        for name, spec in NONSTATIONARY_PRODUCTS.items()
    ),
    evaluation=SuiteEvaluation(
        num_paths=4000, periods=HORIZON, burn_in=0, seed=0, metric="horizon"
    ),
)

SUITES = (ZIPKIN_POISSON, ZIPKIN_GEOMETRIC, NONSTATIONARY)
"""The suites of the lost-sales problem."""
