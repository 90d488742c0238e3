"""The procurement-and-removal problem's benchmark suite (found by :mod:`inventory_gym.suites`).

``procurement-removal``: the four instances of ``benchmarks/procurement_removal.py``: the
default (SCENARIOS.md section 4: a 52-period season, Poisson demand 12 then 3 from t = 26,
c = 5, s = 3, h = 2, p = 10, L = 0, starting stock uniform on 0..100), salvage value 1, a
removal cap of 5 a period, and lead time 1. The optimum is the season's exact finite-horizon
DP: the expected cost per period of one season from the random start, which the suite's
evaluation (52 periods, no burn-in) scores. No published values (the problem has none).
"""

from __future__ import annotations

from inventory_gym.suites import Suite, SuiteEvaluation, SuiteInstance

ENV = "ProcurementRemoval-v0"
VARIANTS = {
    "default": {},
    "salvage_1": {"salvage_value": 1.0},
    "removal_cap_5": {"max_removal": 5.0},
    "lead_time_1": {"lead_time": 1},
}
"""Instance -> its keywords on top of the defaults (the benchmark script's four)."""
SEASON = 52
"""The default season length: the suite scores exactly one season."""

PROCUREMENT_REMOVAL_SUITE = Suite(
    name="procurement-removal",
    version=1,
    problem="procurement_removal",
    description="Joint procurement and removal (SCENARIOS.md section 4): the default 52-period "
    "season and three variants (salvage 1, removal cap 5, L = 1). Optimum: the expected cost "
    "per period of one season from the random starting stock (the finite-horizon DP); scored "
    "on 52 periods, no burn-in. Reference: the best policy that never removes (its own DP).",
    instances=tuple(
        SuiteInstance(
            name=name,
            env_id=ENV,
            kwargs=kwargs,
            reference="never_remove",
            note=", ".join(f"{k} = {v}" for k, v in kwargs.items()) or "the defaults",
        )
        for name, kwargs in VARIANTS.items()
    ),
    evaluation=SuiteEvaluation(num_paths=4000, periods=SEASON, burn_in=0, seed=0, metric="horizon"),
)

SUITES = (PROCUREMENT_REMOVAL_SUITE,)
"""The suites of the procurement-and-removal problem."""
