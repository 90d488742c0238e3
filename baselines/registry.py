"""Policy names for the command line and the comparison: each maps to a fitting function.

A fitting function has the signature ``fit(env_id, env_kwargs, config) -> policy`` (see
:class:`baselines.fitting.FitConfig`); the policy is a batched callable that the evaluation
harness (:mod:`inventory_gym.evaluation`) scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from baselines.fitting import DEFAULT_FIT_CONFIG, FitConfig
from inventory_gym.evaluation import instance


@dataclass(frozen=True)
class PolicyEntry:
    """One named policy of one problem."""

    name: str
    problem: str
    """The problem it applies to (``Problem.name``, e.g. ``"lost_sales"``)."""
    fit: Callable[..., Any]
    """``fit(env_id, env_kwargs, config) -> policy``."""
    summary: str
    """One line for ``inventory-gym list``."""
    optimal: bool = False
    """The exact optimum (the reference of the gaps)."""


def _lost_sales_entries() -> list[PolicyEntry]:
    from baselines.lost_sales import dp
    from baselines.lost_sales import heuristics as h

    return [
        PolicyEntry(
            "optimal",
            "lost_sales",
            dp.fit_optimal,
            "exact DP: average-cost relative value iteration (Zipkin's bounds)",
            True,
        ),
        PolicyEntry(
            "myopic1",
            "lost_sales",
            h.fit_myopic1,
            "minimises the expected cost of the period the order arrives in",
        ),
        PolicyEntry(
            "myopic2",
            "lost_sales",
            dp.fit_myopic2,
            "first decision of the two-period myopic problem (Zipkin 2008)",
        ),
        PolicyEntry(
            "base_stock",
            "lost_sales",
            h.fit_base_stock,
            "order up to S on the inventory position; S searched by simulation",
        ),
        PolicyEntry(
            "capped_base_stock",
            "lost_sales",
            h.fit_capped_base_stock,
            "base-stock with an order cap r (Xin 2021); S, r searched by simulation",
        ),
        PolicyEntry(
            "standard_vector_base_stock",
            "lost_sales",
            h.fit_standard_vector_base_stock,
            "Morton's vector base-stock with critical-fractile targets",
        ),
        PolicyEntry(
            "better_vector_base_stock",
            "lost_sales",
            h.fit_better_vector_base_stock,
            "vector base-stock with the targets' fractile tuned by simulation",
        ),
        PolicyEntry(
            "projected_inventory_level",
            "lost_sales",
            h.fit_projected_inventory_level,
            "order up to a target of the expected stock at arrival (van Jaarsveld-Arts)",
        ),
        PolicyEntry(
            "constant_order",
            "lost_sales",
            h.fit_constant_order,
            "the same (real) quantity every period, tuned by simulation",
        ),
    ]


def _dual_sourcing_entries() -> list[PolicyEntry]:
    from baselines.dual_sourcing import dp
    from baselines.dual_sourcing import heuristics as h

    return [
        PolicyEntry(
            "optimal",
            "dual_sourcing",
            dp.fit_optimal,
            "exact DP: average-cost relative value iteration (l_e = 0)",
            True,
        ),
        PolicyEntry(
            "capped_dual_index",
            "dual_sourcing",
            h.fit_capped_dual_index,
            "expedite up to S_e, regular up to S_r capped at r (Sun & Van Mieghem 2019)",
        ),
        PolicyEntry(
            "dual_index",
            "dual_sourcing",
            h.fit_dual_index,
            "expedite up to S_e on the expedited position, regular up to S_r on the full one",
        ),
        PolicyEntry(
            "tailored_base_surge",
            "dual_sourcing",
            h.fit_tailored_base_surge,
            "a constant regular order r, expedite up to S (Allon & Van Mieghem 2010)",
        ),
        PolicyEntry(
            "single_index",
            "dual_sourcing",
            h.fit_single_index,
            "both orders on the full inventory position: expedite up to S_e, regular up to S_r",
        ),
    ]


def _perishable_entries() -> list[PolicyEntry]:
    from baselines.perishable import dp
    from baselines.perishable import heuristics as h

    return [
        PolicyEntry(
            "optimal",
            "perishable",
            dp.fit_optimal,
            "exact DP: average-cost relative value iteration over every state",
            True,
        ),
        PolicyEntry(
            "base_stock",
            "perishable",
            h.fit_base_stock,
            "order up to S on the inventory position; S searched by simulation",
        ),
        PolicyEntry(
            "bsp_low_ew",
            "perishable",
            h.fit_bsp_low_ew,
            "BSP-low-EW (Haijema & Minner 2019): two slopes in the position, plus expected waste",
        ),
        PolicyEntry(
            "waste_conscious",
            "perishable",
            h.fit_waste_conscious,
            "order up to S, plus the expiring stock above the mean demand (Hendrix et al. 2019)",
        ),
    ]


def entries(problem: str) -> dict[str, PolicyEntry]:
    """The named policies of a problem, in the order the comparison lists them."""
    table = {
        "lost_sales": _lost_sales_entries,
        "dual_sourcing": _dual_sourcing_entries,
        "perishable": _perishable_entries,
    }
    if problem not in table:
        return {}
    return {entry.name: entry for entry in table[problem]()}


def problem_of(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> str:
    """The problem name of an env id (``"lost_sales"``...)."""
    return instance(env_id, env_kwargs)[0].name


def fit_policy(
    name: str,
    env_id: str,
    env_kwargs: Mapping[str, Any] | None = None,
    config: FitConfig = DEFAULT_FIT_CONFIG,
) -> Any:
    """Fit the named policy on an instance.

    Raises:
        ValueError: for a name the env's problem does not offer (the message lists them).
    """
    problem = problem_of(env_id, env_kwargs)
    known = entries(problem)
    if name not in known:
        raise ValueError(
            f"policy {name!r} is not available for {env_id} ({problem}); "
            f"choose from: {', '.join(known) or 'none'}"
        )
    return known[name].fit(env_id, env_kwargs, config)
