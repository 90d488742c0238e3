"""One action preparation for every shell (issue 14, item 4).

The single env, the vector env (numpy and torch) and DirectBackprop's simulator all turn raw
actions into orders through :func:`inventory_gym.core.shell.prepare_actions`: the same raw
actions give the same orders and costs in each, and a bound that depends on the state (a
removal capped by the stock on hand, defined here by a toy problem) is applied from the
current state in all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import gymnasium as gym
import numpy as np
import pytest
import torch

from dbp.rollout import Instance, Simulator, resolve_instances
from inventory_gym.core.env import InventoryEnv
from inventory_gym.core.problem import Problem
from inventory_gym.core.shell import action_box, prepare_actions
from inventory_gym.core.vector import InventoryVectorEnv
from inventory_gym.core.xp import namespace, positive_part
from inventory_gym.demand import DemandModel, Replay, demand_field


def simulator(insts, rows):
    return Simulator(
        insts,
        rows,
        state_dim=max(inst.state_dim for inst in insts),
        window=0,
        static=False,
        generator=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
        dtype=torch.float64,
    )


class Replayed:
    """A stand-in network that outputs given raw actions, one (B, d) array per period."""

    def __init__(self, actions):
        self.actions = [torch.as_tensor(a, dtype=torch.float64) for a in actions]
        self.t = 0

    def __call__(self, features, history=None, static=None):
        out = self.actions[self.t]
        self.t += 1
        return out


def raw_actions(rng, steps, rows, high):
    """Out of bounds on both sides, fractional, with exact halves (rounding ties)."""
    d = high.size
    raw = rng.uniform(-0.5 * high, 1.5 * high, size=(steps, rows, d))
    raw[:, ::3] = np.round(raw[:, ::3]) + 0.5
    return raw


@pytest.mark.parametrize("integer", [False, True], ids=["continuous", "integer"])
@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        ("LostSalesLeadTime-v0", {"lead_time": 2, "max_order": 9.0}),
        ("DualSourcing-v0", {"max_order": 8.0}),
        ("Perishable-v0", {"useful_life": 2, "lead_time": 1}),
    ],
)
def test_vector_env_and_dbp_simulator_place_the_same_orders(env_id, kwargs, integer):
    rows, steps = 6, 12
    rng = np.random.default_rng(3)
    (inst,) = resolve_instances((env_id, kwargs))
    paths = inst.problem.demand(inst.params).sample(rng, rows, steps)
    high = inst.problem.action_high(inst.params)
    raw = raw_actions(rng, steps, rows, high)
    env = gym.make_vec(
        env_id,
        num_envs=rows,
        vectorization_mode="vector_entry_point",
        backend="torch",
        dtype="float64",
        integer_actions=integer,
        demand=Replay(paths),
        max_episode_steps=steps,
        **kwargs,
    )
    env.reset(seed=0)
    sim = simulator([inst], rows)
    sim.reset()
    net = Replayed(raw)
    demand = torch.as_tensor(paths)
    clipped = 0
    for t in range(steps):
        _, _, _, _, info = env.step(raw[t])
        step = sim.step(net, demand[:, t], straight_through=integer)
        order = info["order"].reshape(rows, -1)
        torch.testing.assert_close(step.order, order, rtol=0, atol=0, msg=f"orders, period {t}")
        torch.testing.assert_close(step.cost, info["cost"], rtol=0, atol=0)
        assert bool((order >= 0).all()) and bool((order <= torch.as_tensor(high)).all())
        if integer:
            assert bool((order == torch.round(order)).all())
        clipped += int((torch.as_tensor(raw[t]) != order).sum())
    assert clipped > 0


def test_integer_orders_stay_below_a_fractional_cap():
    """``integer_actions`` rounds to the nearest integer inside the bounds: 7.6 -> 7, not 8,
    in the single env, the vector env (numpy, torch) and the simulator."""
    kwargs = {"lead_time": 1, "max_order": 7.6, "integer_actions": True}
    single = gym.make("LostSalesLeadTime-v0", **kwargs)
    single.reset(seed=0)
    assert single.step(np.array([9.0]))[4]["order"] == 7.0
    assert single.step(np.array([7.55]))[4]["order"] == 7.0
    assert single.step(np.array([7.4]))[4]["order"] == 7.0
    for backend in ("numpy", "torch"):
        vec = gym.make_vec(
            "LostSalesLeadTime-v0", 2, vectorization_mode="vector_entry_point", backend=backend,
            **kwargs,
        )  # fmt: skip
        vec.reset(seed=0)
        order = np.asarray(vec.step(np.array([[9.0], [6.6]]))[4]["order"])
        np.testing.assert_array_equal(order, [7.0, 7.0])


def test_prepare_actions_checks_shape_finiteness_and_discrete_values():
    from inventory_gym.envs.lost_sales.env import LOST_SALES, LostSalesParams

    params = LostSalesParams(lead_time=1, max_order=5.0)
    state = LOST_SALES.initial_state(params, 2, np)
    box = action_box(np.zeros(1), np.array([5.0]))

    def prep(values, **kw):
        return prepare_actions(
            np.asarray(values, np.float64), LOST_SALES, params, state, box, np, batch=2, **kw
        )

    np.testing.assert_array_equal(prep([-1.0, 7.0]), [[0.0], [5.0]])
    np.testing.assert_array_equal(prep([[2.5], [3.5]], integer=True), [[2.0], [4.0]])
    with pytest.raises(ValueError, match="shape"):
        prep([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        prep([1.0, np.nan])
    with pytest.raises(ValueError, match="discrete"):
        prep([1.0, 6.0], discrete=True)
    with pytest.raises(ValueError, match="discrete"):
        prep([1.0, 2.5], discrete=True)
    np.testing.assert_array_equal(prep([1.0, 5.0], discrete=True), [[1.0], [5.0]])


def test_clamp_passes_the_gradient_at_the_bounds_and_rounding_is_straight_through():
    from inventory_gym.envs.lost_sales.env import LOST_SALES, LostSalesParams

    params = LostSalesParams(lead_time=1, max_order=5.0)
    xp = namespace("torch")
    state = LOST_SALES.initial_state(params, 4, xp, dtype=torch.float64)
    box = action_box(np.zeros(1), np.array([5.0]), lambda a: torch.as_tensor(a))
    raw = torch.tensor([[0.0], [5.0], [2.4], [7.0]], dtype=torch.float64, requires_grad=True)
    out = prepare_actions(raw, LOST_SALES, params, state, box, xp, batch=4, integer=True)
    assert out.detach().tolist() == [[0.0], [5.0], [2.0], [5.0]]
    out.sum().backward()
    # At the bounds themselves the gradient passes; beyond them it is cut.
    assert raw.grad.tolist() == [[1.0], [1.0], [1.0], [0.0]]


# -- a toy problem whose second decision is bounded by the state -----------------------------
@dataclass(frozen=True)
class ToyParams:
    """Lost sales at lead time 0 with removal: order ``z`` and remove ``r <= on hand``."""

    holding_cost: float = 1.0
    lost_sales_cost: float = 4.0
    unit_cost: float = 2.0
    salvage: float = 1.0
    max_order: float = 10.0
    max_remove: float = 10.0
    initial_on_hand: float = 6.0
    demand: DemandModel | str = "poisson(3)"

    def __post_init__(self):
        object.__setattr__(self, "demand", demand_field("ToyParams", self.demand))


class ToyState(NamedTuple):
    on_hand: object


class ToyCosts(NamedTuple):
    purchase: object
    salvage: object
    holding: object
    lost: object

    def total(self):
        return self.purchase + self.salvage + self.holding + self.lost


class ToyFlows(NamedTuple):
    removed: object
    sales: object


class RemovalProblem(Problem):
    """Order and remove; the removal is capped by the stock on hand (a state bound)."""

    name = "toy_removal"
    params_cls = ToyParams
    action_names = ("order", "remove")
    render_keys = ("removed", "sales")

    def initial_state(self, params, batch, xp, *, dtype=None, device=None):
        return ToyState(xp.full((batch,), params.initial_on_hand, dtype=dtype, device=device))

    def transition(self, state, action, demand, params, xp):
        order, remove = action
        # A kernel that trusts its caller: removing more than is on hand would go negative.
        available = state.on_hand + order - remove
        leftover = positive_part(available - demand, xp)
        lost = leftover - (available - demand)
        costs = ToyCosts(
            order * params.unit_cost,
            remove * -params.salvage,
            leftover * params.holding_cost,
            lost * params.lost_sales_cost,
        )
        return ToyState(leftover), costs, ToyFlows(remove, demand - lost)

    def state_columns(self, state, params):
        return (state.on_hand,)

    def state_from_columns(self, columns, params):
        return ToyState(columns[0])

    def state_feature_names(self, params):
        return ("on_hand",)

    def state_parts(self, params):
        # The named state layout of issue 14 item 3 (abstract there; unused before it).
        from inventory_gym.core.problem import StatePart

        return (StatePart("on_hand", 1, vector=False, doc="units on hand"),)

    def state_feature_bounds(self, params):
        return np.zeros(1), np.full(1, np.inf)

    def static_features(self, params):
        return {"holding_cost": params.holding_cost}

    def action_high(self, params):
        return np.array([params.max_order, params.max_remove])

    def action_bounds(self, state, params, xp):
        return (0.0, 0.0), (params.max_order, state.on_hand)

    def invariants(self, state, action, demand, next_state, costs, flows, xp):
        return {"removed <= on hand": positive_part(flows.removed - state.on_hand, xp)}


TOY = RemovalProblem()


class ToyEnv(InventoryEnv):
    problem: ClassVar[Problem] = TOY


class ToyVectorEnv(InventoryVectorEnv):
    problem: ClassVar[Problem] = TOY


def toy_rollouts(raw, paths, *, integer=False):
    """Orders and costs of the single env, the vector env (numpy, torch) and the simulator
    on the same raw actions and demand; also the on-hand stock before each period."""
    steps, rows, _ = raw.shape
    out = {}
    single = ToyEnv(demand=Replay(paths[0]), integer_actions=integer)
    obs, _ = single.reset(seed=0)
    orders, costs, stock = [], [], []
    for t in range(steps):
        stock.append(obs[0])
        obs, _, _, _, info = single.step(raw[t, 0])
        orders.append(info["order"])
        costs.append(info["cost"])
    out["single"] = (np.array(orders)[:, None], np.array(costs)[:, None])
    stock = np.array(stock)
    for backend in ("numpy", "torch"):
        vec = ToyVectorEnv(
            rows,
            backend=backend,
            dtype="float64",
            demand=Replay(paths),
            integer_actions=integer,
            max_episode_steps=steps,
        )
        vec.reset(seed=0)
        orders, costs = [], []
        for t in range(steps):
            _, _, _, _, info = vec.step(raw[t])
            orders.append(np.asarray(info["order"]))
            costs.append(np.asarray(info["cost"]))
        out[backend] = (np.array(orders), np.array(costs))
    sim = simulator([Instance("Toy", {}, TOY, ToyParams())], rows)
    sim.reset()
    net, demand = Replayed(raw), torch.as_tensor(paths)
    orders, costs = [], []
    for t in range(steps):
        step = sim.step(net, demand[:, t], straight_through=integer)
        orders.append(step.order.numpy())
        costs.append(step.cost.numpy())
    out["dbp"] = (np.array(orders), np.array(costs))
    return out, stock


@pytest.mark.parametrize("integer", [False, True], ids=["continuous", "integer"])
def test_a_state_bound_is_applied_from_the_current_state_in_every_shell(integer):
    rng = np.random.default_rng(0)
    steps, rows = 25, 4
    # Continuous demand with fractional stock: with integer actions the removal is rounded
    # down to the largest integer below the stock on hand (2.6 on hand: remove at most 2).
    paths = rng.uniform(0.0, 5.0, size=(rows, steps)) + 0.3
    raw = np.stack(
        [rng.uniform(-1.0, 6.0, size=(steps, rows)), rng.uniform(-1.0, 9.0, size=(steps, rows))],
        axis=2,
    )
    out, stock = toy_rollouts(raw, paths, integer=integer)
    ref_orders, ref_costs = out["numpy"]
    for name in ("single", "torch", "dbp"):
        orders, costs = out[name]
        n = orders.shape[1]
        np.testing.assert_allclose(orders, ref_orders[:, :n], rtol=0, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(costs, ref_costs[:, :n], rtol=0, atol=1e-12, err_msg=name)
    removed = ref_orders[:, 0, 1]
    # Row 0 against the stock on hand the single env observed before each period.
    on_hand = stock.astype(np.float64)
    assert np.all(removed <= on_hand + 1e-5)
    bound = np.floor(on_hand + 1e-5) if integer else on_hand
    capped = raw[:, 0, 1] > on_hand
    assert capped.sum() >= 5  # the state bound binds (below the static cap of 10) ...
    assert np.all(raw[capped, 0, 1] < 10.0)
    np.testing.assert_allclose(removed[capped], bound[capped], atol=1e-5)  # ... and is met
    free = (raw[:, 0, 1] >= 0) & ~capped
    expected = np.round(raw[free, 0, 1]) if integer else raw[free, 0, 1]
    np.testing.assert_allclose(removed[free], np.minimum(expected, bound[free]), atol=1e-12)
    if integer:
        assert np.all(ref_orders == np.round(ref_orders))


def test_a_state_bound_passes_its_gradient():
    """Removing everything on hand (the bound binds): the removal's gradient goes to the
    stock, hence to the order that built it (lead time 0, nothing sold out)."""
    env = ToyVectorEnv(
        1,
        backend="torch",
        dtype="float64",
        differentiable=True,
        demand=Replay(np.array([[1.0, 1.0]])),
        max_episode_steps=2,
    )
    env.reset(seed=0)
    first = torch.tensor([[3.0, 0.0]], dtype=torch.float64, requires_grad=True)
    env.step(first)  # on hand: 6 + 3 - 1 = 8
    _, _, _, _, info = env.step(torch.tensor([[0.0, 9.5]], dtype=torch.float64))
    removed = info["order"][0, 1]
    assert removed.item() == 8.0
    (grad,) = torch.autograd.grad(removed, first)
    assert grad.tolist() == [[1.0, -1.0]]


def test_check_invariants_prepares_actions_with_the_state_bound():
    from inventory_gym.testing import check_invariants

    rng = np.random.default_rng(1)
    n = 500
    features = rng.uniform(0.0, 8.0, size=(n, 1))
    actions = rng.uniform(-2.0, 12.0, size=(n, 2))
    assert (actions[:, 1] > features[:, 0]).mean() > 0.3
    check_invariants(TOY, ToyParams(), features, actions, rng.poisson(3.0, n).astype(float))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"integer_actions": True},
        {"integer_actions": True, "max_order": 6.5},
        {"discrete_actions": True},
    ],
)
@pytest.mark.parametrize("env_id", ["DualSourcing-v0", "ProcurementRemoval-v0"])
def test_single_env_orders_on_floats_match_prepare_actions(env_id, kwargs):
    """The Python-float action path of a two-decision single env (static bounds, or a removal
    bounded by the stock on hand) gives what the shared prepare_actions gives, and leaves
    every other input to it (errors included)."""
    from inventory_gym.core.xp import python_scalars

    env = gym.make(env_id, **kwargs).unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)

    def shared(action):
        return tuple(
            prepare_actions(
                np.asarray(action, dtype=np.float64),
                env.problem,
                env.params,
                env._state,
                env._box,
                np,
                batch=None,
                integer=env.config.integer_actions,
                discrete=env.config.discrete_actions,
                state_xp=python_scalars,
            )[0].tolist()
        )

    high = env.layout.action_high
    for _ in range(200):
        if env.config.discrete_actions:
            raw = rng.integers(0, high.astype(int) + 1)
        else:
            raw = rng.normal(3, 6, size=2) * [1, 2]
        for action in (raw, raw.astype(np.float32), raw.tolist(), tuple(raw.tolist())):
            fast = env._orders_on_floats(action)
            assert fast is not None and fast == shared(action), action
            assert env._to_order(action) == fast
        env.step(raw)  # a new state: new bounds for the removal
    for bad in ([np.nan, 1.0], [1.0, np.inf], [[1.0, 2.0]], [1.0, 2.0, 3.0], "12", None):
        assert env._orders_on_floats(bad) is None
    with pytest.raises(ValueError, match="finite"):
        env.step(np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        env.step(np.array([1.0, 2.0, 3.0]))
    assert env._to_order(np.array([[1.0, 2.0]])) == shared([[1.0, 2.0]])  # (1, 2): the shared path
    if env.config.discrete_actions:
        with pytest.raises(ValueError, match="discrete action"):
            env.step(np.array([high[0] + 1, 0]))
    env.close()
