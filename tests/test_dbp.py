"""DirectBackprop: networks, structure, simulator, trainer, save/load (fast), and learning
(slow)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import inventory_gym  # noqa: F401
from dbp import (
    PolicySpec,
    Simulator,
    TrainConfig,
    build_policy,
    load,
    make_spec,
    resolve_instances,
    train,
)
from dbp.logger import Logger
from dbp.structure import structural_penalty
from inventory_gym.envs.lost_sales import dynamics
from inventory_gym.envs.lost_sales.env import pipeline_monotone_violations as lost_sales_violations
from inventory_gym.evaluation import evaluate

ENV = "LostSalesLeadTime-v0"
FAST = dict(
    batch_size=32,
    horizon=8,
    burn_in=2,
    first_burn_in=5,
    eval_paths=16,
    eval_periods=20,
    eval_burn_in=5,
    max_seconds=None,
)


def fast(**kw) -> TrainConfig:
    return TrainConfig(**{**FAST, **kw})


# -- specs and networks ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("kind", "lstm"),
        ("hidden", ()),
        ("hidden", (0,)),
        ("activation", "gelu"),
        ("state_dim", 0),
        ("scale", 0.0),
        ("scale", math.nan),
        ("encoder", "rnn"),
        ("channels", 0),
    ],
)
def test_spec_rejects_bad_fields(field, value):
    with pytest.raises(ValueError, match=field):
        PolicySpec(**{field: value})


def test_spec_round_trips_through_json():
    spec = PolicySpec(
        kind="monotone", hidden=(8, 4), state_dim=3, window=4, static_dim=2, scale=5.0
    )
    assert PolicySpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    with pytest.raises(ValueError, match="unknown field"):
        PolicySpec.from_dict({"kind": "mlp", "depth": 3})


@pytest.mark.parametrize("kind", ["mlp", "monotone", "base_stock", "capped_base_stock"])
@pytest.mark.parametrize("window, static_dim", [(0, 0), (8, 4)])
def test_networks_order_non_negative_amounts(kind, window, static_dim):
    torch.manual_seed(0)
    spec = PolicySpec(
        kind=kind, hidden=(16, 16), state_dim=4, window=window, static_dim=static_dim, scale=5.0
    )
    net = build_policy(spec)
    state = torch.rand(64, 4) * 20
    history = torch.rand(64, window) * 10 if window else None
    static = torch.rand(64, static_dim) * 10 if static_dim else None
    order = net(state, history, static)
    assert order.shape == (64, 1)
    assert torch.all(order >= 0) and torch.all(torch.isfinite(order))


def test_wavenet_encoder_is_causal_over_the_window():
    torch.manual_seed(0)
    spec = PolicySpec(state_dim=1, window=32, scale=5.0)
    net = build_policy(spec)
    history = torch.rand(4, 32, requires_grad=True)
    out = net.encoder(history / 5.0)
    (grad,) = torch.autograd.grad(out.sum(), history)
    # The encoding (the last time step) sees the whole window: receptive field 32.
    assert torch.all(grad.abs().sum(dim=0) > 0)


def order_gradients(net, state, history=None, static=None):
    state = state.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(state, history, static).sum(), state)
    return grad


@pytest.mark.parametrize("seed", range(3))
def test_monotone_network_has_the_lost_sales_structure_by_construction(seed):
    """-1 <= d/dq_{L-1} <= ... <= d/dq_1 <= d/dy <= 0 everywhere, whatever the weights."""
    torch.manual_seed(seed)
    net = build_policy(
        PolicySpec(kind="monotone", hidden=(16, 16), state_dim=4, static_dim=2, scale=5.0)
    )
    with torch.no_grad():  # arbitrary weights, not just the initial ones
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 2.0)
    state = torch.rand(2000, 4, dtype=torch.float32) * 15
    static = torch.rand(2000, 2) * 5
    grad = order_gradients(net, state, static=static)
    tol = 1e-5
    assert torch.all(grad <= tol)
    assert torch.all(grad[:, 1:] <= grad[:, :-1] + tol)
    assert torch.all(grad[:, -1] >= -1 - tol)
    assert float(lost_sales_violations(grad).max()) < 1e-4


def test_base_stock_network_orders_up_to_its_level():
    net = build_policy(PolicySpec(kind="base_stock", state_dim=3, scale=5.0))
    level = float(net.levels(batch=1)[0, 0].detach())
    state = torch.tensor([[1.0, 2.0, 3.0], [level, 0.0, 1.0], [0.0, 0.0, 0.0]])
    order = net(state)[:, 0]
    expected = torch.clamp(level - state.sum(dim=1), min=0.0)
    assert torch.allclose(order, expected)


def test_capped_base_stock_network_caps_the_order():
    net = build_policy(PolicySpec(kind="capped_base_stock", state_dim=2, scale=5.0))
    level, cap = net.levels(batch=1)[0].tolist()
    order = net(torch.zeros(1, 2))[0, 0].item()
    assert order == pytest.approx(min(level, cap))
    assert cap < level  # the initial cap (one period's demand) binds at an empty system


def test_structural_violations_by_hand():
    grad = torch.tensor(
        [
            [-0.2, -0.5, -0.9],  # the structure: no violation
            [0.1, -0.5, -0.9],  # increases in y by 0.1
            [-0.5, -0.2, -0.9],  # q_1 reacts less than y: 0.3
            [-0.2, -0.5, -1.5],  # steeper than -1: 0.5
        ]
    )
    assert lost_sales_violations(grad).tolist() == pytest.approx([0.0, 0.1, 0.3, 0.5])


def test_structural_penalty_is_zero_for_structured_nets_and_positive_otherwise():
    torch.manual_seed(0)
    state = torch.rand(128, 3) * 10
    mono = build_policy(PolicySpec(kind="monotone", hidden=(8,), state_dim=3, scale=5.0))
    assert structural_penalty(mono, state, None, None, lost_sales_violations, [3]).item() < 1e-6

    class Increasing(torch.nn.Module):  # orders more the more it holds: the wrong shape
        def forward(self, state, history=None, static=None):
            return state.sum(dim=1, keepdim=True)

    pen = structural_penalty(Increasing(), state, None, None, lost_sales_violations, [3])
    assert pen.item() == pytest.approx(3.0)  # three components, each with slope +1


# -- the simulator -----------------------------------------------------------------------------
def make_sim(insts, spec, rows, *, static=False, seed=0, dtype=torch.float64):
    """A CPU simulator for a spec's inputs (its window and state width)."""
    return Simulator(
        insts,
        rows,
        state_dim=spec.state_dim,
        window=spec.window,
        static=static,
        generator=torch.Generator().manual_seed(seed),
        device=torch.device("cpu"),
        dtype=dtype,
    )


def test_simulator_matches_the_kernel_on_the_same_demand():
    """The rollout is the lost-sales kernel, row by row, for every instance of a mixed batch
    (two lead times; two costs and demands sharing one kernel call)."""
    insts = resolve_instances(
        [
            (ENV, {"lead_time": 2, "lost_sales_cost": 4}),
            (ENV, {"lead_time": 1, "lost_sales_cost": 9}),
            (ENV, {"lead_time": 2, "lost_sales_cost": 19, "demand": "poisson(8)"}),
        ]
    )
    spec = make_spec(insts, "mlp", hidden=(8,))
    torch.manual_seed(0)
    net = build_policy(spec).double()
    sim = make_sim(insts, spec, 5, static=True, seed=0, dtype=torch.float64)
    assert len(sim.groups) == 2  # L=2 instances share a kernel call
    sim.reset()
    demand = sim.sample(6)
    states = {id(inst): inst.problem.initial_state(inst.params, 5, np) for inst in sim.instances}
    for t in range(6):
        with torch.no_grad():
            step = sim.step(net, demand[:, t])
        orders = step.order[:, 0].numpy()
        for g, inst in enumerate(sim.instances):
            rows = slice(5 * g, 5 * g + 5)
            new, costs, _ = dynamics.transition(
                states[id(inst)], orders[rows], demand[rows, t].numpy(), inst.params, np
            )
            states[id(inst)] = new
            np.testing.assert_allclose(step.cost[rows].numpy(), costs.total(), rtol=1e-12)


def test_simulator_gradient_is_the_pathwise_derivative():
    """d(total cost)/d(level) of a base-stock network equals a finite difference of the same
    paths (away from kinks: continuous demand)."""
    insts = resolve_instances((ENV, {"lead_time": 2, "demand": "gamma(5,0.5)"}))
    spec = make_spec(insts, "base_stock")
    net = build_policy(spec).double()

    def total(bias: float) -> torch.Tensor:
        with torch.no_grad():
            net.bias.fill_(bias)
        sim = make_sim(insts, spec, 64, static=False, seed=3, dtype=torch.float64)
        sim.reset()
        demand = sim.sample(30)
        return sum(sim.step(net, demand[:, t]).cost.sum() for t in range(30))

    cost = total(1.2)
    (grad,) = torch.autograd.grad(cost, net.bias)
    eps = 1e-6
    numeric = (total(1.2 + eps).item() - total(1.2 - eps).item()) / (2 * eps)
    assert grad.item() == pytest.approx(numeric, rel=1e-4)


def test_resolve_instances_errors():
    with pytest.raises(ValueError, match="at least one"):
        resolve_instances([])
    with pytest.raises(ValueError, match="lead_tme"):
        resolve_instances((ENV, {"lead_tme": 2}))
    with pytest.raises(ValueError, match="expected an env id"):
        resolve_instances([42])


# -- training ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("batch_size", 0),
        ("horizon", 0),
        ("learning_rate", 0.0),
        ("learning_rate", math.inf),
        ("penalty_weight", -1.0),
        ("schedule", "step"),
        ("dtype", "float16"),
        ("max_steps", 0),
        ("carry_state", 1),
        ("device", ""),
    ],
)
def test_train_config_rejects_bad_fields(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_train_config_needs_a_budget():
    with pytest.raises(ValueError, match="max_steps or max_seconds"):
        TrainConfig(max_seconds=None)


def test_training_lowers_the_cost_and_keeps_the_best_checkpoint(tmp_path):
    result = train(
        (ENV, {"lead_time": 1}),
        "mlp",
        fast(max_steps=60, eval_every=20, batch_size=64, horizon=16),
        out=tmp_path / "run",
        progress=False,
    )
    assert result.steps == 60 and result.stopped == "max_steps"
    first = next(row["train_cost"] for row in result.log if "train_cost" in row)
    last = [row["train_cost"] for row in result.log if "train_cost" in row][-1]
    assert last < first
    vals = [row["val_cost"] for row in result.log if "val_cost" in row]
    assert len(vals) == 3 and result.best_val_cost == pytest.approx(min(vals))
    # The returned policy is the best one: re-validating it gives its recorded cost.
    again = evaluate(
        result.policy,
        ENV,
        {"lead_time": 1},
        num_paths=16,
        periods=20,
        burn_in=5,
        seed=TrainConfig().eval_seed,
    )
    assert again.cost == pytest.approx(result.best_val_cost)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"run.json", "log.csv", "checkpoint.pt", "policy"} <= files
    header = (tmp_path / "run" / "log.csv").read_text().splitlines()[0]
    assert header.startswith("step,seconds,lr,train_cost")


def test_save_load_round_trip_gives_the_same_orders(tmp_path):
    result = train((ENV, {"lead_time": 3}), "monotone", fast(max_steps=3), window=4, progress=False)
    path = result.policy.save(tmp_path / "pol")
    loaded = load(path)
    assert loaded.spec == result.policy.spec and loaded.name == "dbp-monotone"
    obs = np.random.default_rng(0).uniform(0, 10, size=(7, 3 + 4))
    np.testing.assert_array_equal(loaded(obs), result.policy(obs))
    assert loaded.env_options == {"demand_window": 4}
    assert json.loads((path / "policy.json").read_text())["format"] == "inventory-gym/dbp-policy"


def test_load_rejects_what_is_not_a_policy(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"policy\.json"):
        load(tmp_path)
    (tmp_path / "policy.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValueError, match="not a DBP policy"):
        load(tmp_path)


def test_resume_continues_the_run(tmp_path):
    out = tmp_path / "run"
    first = train(
        (ENV, {"lead_time": 1}), "mlp", fast(max_steps=10, eval_every=5), out=out, progress=False
    )
    assert first.steps == 10
    second = train(
        (ENV, {"lead_time": 1}),
        "mlp",
        fast(max_steps=20, eval_every=5),
        out=out,
        resume=True,
        progress=False,
    )
    assert second.steps == 20
    steps = [int(line.split(",")[0]) for line in (out / "log.csv").read_text().splitlines()[1:]]
    assert steps == sorted(steps) and steps[-1] == 20
    with pytest.raises(ValueError, match="spec"):
        train(
            (ENV, {"lead_time": 1}),
            "monotone",
            fast(max_steps=25),
            out=out,
            resume=True,
            progress=False,
        )


def test_callback_stops_training():
    seen = []

    def stop_at_three(info):
        seen.append(info.step)
        return info.step < 3

    result = train(ENV, "mlp", fast(max_steps=50), callbacks=[stop_at_three], progress=False)
    assert result.stopped == "callback" and result.steps == 3 and seen == [1, 2, 3]
    assert math.isfinite(result.best_val_cost)


def test_penalty_and_straight_through_options_train():
    result = train(
        (ENV, {"lead_time": 2}),
        "mlp",
        fast(max_steps=10, penalty_weight=1.0, penalty_rows=8, straight_through=True),
        progress=False,
    )
    row = result.log[-1]
    assert row["step"] == 10 and math.isfinite(row["penalty"]) and row["penalty"] >= 0
    # The penalty is measured, not assumed: the structured network pays none.
    mono = train(
        (ENV, {"lead_time": 2}), "monotone", fast(max_steps=10, penalty_weight=1.0), progress=False
    )
    assert mono.log[-1]["penalty"] < 1e-6


def test_straight_through_rollout_places_integer_orders():
    insts = resolve_instances((ENV, {"lead_time": 2}))
    spec = make_spec(insts, "mlp")
    net = build_policy(spec)
    sim = make_sim(insts, spec, 16, static=False, seed=0, dtype=torch.float32)
    sim.reset()
    step = sim.step(net, sim.sample(1)[:, 0], straight_through=True)
    assert torch.equal(step.order, torch.round(step.order))
    (grad,) = torch.autograd.grad(step.order.sum(), next(net.parameters()))
    assert float(grad.abs().sum()) > 0  # the gradient passes the rounding


def test_cross_instance_policy_pads_and_serves_each_instance():
    insts = [
        (ENV, {"lead_time": 1, "lost_sales_cost": 4}),
        (ENV, {"lead_time": 3, "lost_sales_cost": 39}),
    ]
    result = train(insts, "mlp", fast(max_steps=3), window=8, progress=False)
    policy = result.policy
    assert policy.spec.state_dim == 3 and policy.spec.static_dim == 4
    assert policy.env_options == {"demand_window": 8, "static_features": True}
    for env_kwargs in (insts[0][1], insts[1][1]):
        ev = evaluate(policy, ENV, env_kwargs, num_paths=8, periods=10, burn_in=0)
        assert ev.env_kwargs["static_features"] and math.isfinite(ev.cost)
    with pytest.raises(ValueError, match="do not fit the network"):
        policy(np.zeros((2, 30)))


def test_dbp_policy_runs_on_torch_observations():
    result = train(ENV, "base_stock", fast(max_steps=2), progress=False)
    obs = torch.zeros(3, 4)
    out = result.policy(obs)
    assert isinstance(out, torch.Tensor) and out.shape == (3,)
    ev = evaluate(result.policy, ENV, num_paths=8, periods=10, burn_in=0, backend="torch")
    assert math.isfinite(ev.cost)


def test_logger_refuses_unknown_columns(tmp_path):
    logger = Logger(tmp_path / "log.csv", ["a"])
    logger.record("a", 1.0)
    logger.dump(1)
    with pytest.raises(KeyError, match="b"):
        logger.record("b", 2.0)
    logger.close()
    assert (tmp_path / "log.csv").read_text().splitlines() == ["step,a", "1,1.0"]


# -- learning (slow) ---------------------------------------------------------------------------
@pytest.mark.slow
def test_dbp_lands_within_two_percent_of_the_optimum():
    """A short DBP run on Zipkin's L = 2, p = 9 instance: the exact cost of the rounded policy
    (its Markov chain) is within 2% of the DP optimum."""
    from baselines.lost_sales import dp

    kwargs = {"lead_time": 2, "lost_sales_cost": 9}
    result = train(
        (ENV, kwargs),
        "mlp",
        TrainConfig(max_steps=250, max_seconds=None, eval_every=125),
        progress=False,
    )
    params = resolve_instances((ENV, kwargs))[0].params
    optimum = dp.solve(params).cost
    exact = dp.policy_cost(params, result.policy.state_policy())
    assert exact <= optimum * 1.02, (exact, optimum)


@pytest.mark.parametrize("window", [1, 10, 32])
def test_wavenet_sequence_encoding_equals_the_encoding_of_each_window(window):
    """Training encodes a whole path in one pass; that must be what the network computes on
    each window alone (its receptive field is exactly the window)."""
    torch.manual_seed(0)
    net = build_policy(PolicySpec(state_dim=2, window=window, scale=5.0)).double()
    assert 1 + sum(net.encoder.dilations) == window
    seq = torch.rand(3, window + 20, dtype=torch.float64) * 10
    full = net.encode_sequence(seq)
    for p in range(window - 1, seq.shape[1]):
        alone = net.encoder(seq[:, p - window + 1 : p + 1] / 5.0 - 1.0)
        torch.testing.assert_close(full[:, p], alone)


def test_simulator_encodings_match_the_history_the_env_shows():
    insts = resolve_instances((ENV, {"lead_time": 2}))
    spec = make_spec(insts, "mlp", window=8)
    torch.manual_seed(0)
    net = build_policy(spec).double()
    sim = make_sim(insts, spec, 4, static=False, seed=0, dtype=torch.float64)
    sim.reset()
    demand = sim.sample(5)
    encoded = sim.encode(net, demand)
    for t in range(5):
        torch.testing.assert_close(encoded[:, t], net.encoder(sim.history / spec.scale - 1.0))
        with torch.no_grad():
            with_encoding = net(sim.features(), sim.history, None, encoded[:, t])
            without = net(sim.features(), sim.history, None)
        torch.testing.assert_close(with_encoding, without)
        sim.step(net, demand[:, t], encoded=encoded[:, t])


def test_compress_is_the_identity_near_zero_and_logarithmic_beyond():
    from dbp.policies import INPUT_LINEAR, compress

    x = torch.tensor([-1e6, -25.0, -20.0, -3.0, 0.0, 7.5, 20.0, 21.0, 1e6], dtype=torch.float64)
    y = compress(x)
    inside = x.abs() <= INPUT_LINEAR
    assert torch.equal(y[inside], x[inside])
    np.testing.assert_allclose(y[-2].item(), 20 + math.log(2.0))
    np.testing.assert_allclose(y[0].item(), -(20 + math.log1p(1e6 - 20)))
    # slope 1 at the joint, and a gradient that never vanishes
    x = torch.tensor([20.0, -1e6], dtype=torch.float64, requires_grad=True)
    compress(x).sum().backward()
    assert x.grad[0].item() == 1.0 and x.grad[1].item() > 0


def test_mlp_secondary_decisions_start_near_zero():
    from dbp.policies import SECONDARY_START

    spec = PolicySpec(kind="mlp", state_dim=2, action_dim=2, scale=2.0)
    net = build_policy(spec)
    torch.nn.init.zeros_(net.head[-1].weight)  # the output is then the bias alone
    orders = net(torch.zeros(3, 2))
    np.testing.assert_allclose(orders[:, 1].detach(), 2.0 * SECONDARY_START, rtol=1e-5)


@pytest.mark.slow
def test_dbp_learns_dual_sourcing():
    """The trainer needs no change for a problem with two decisions and backlog: 150 steps on
    l_r = 3, c_e = 5 land within 1% of the DP optimum by the exact stationary cost."""
    from baselines.dual_sourcing import dp
    from inventory_gym.envs.dual_sourcing import DualSourcingParams

    kwargs = {"regular_lead_time": 3, "expedited_cost": 5}
    config = TrainConfig(max_steps=150, max_seconds=None, eval_every=50, threads=1)
    policy = train(("DualSourcing-v0", kwargs), "mlp", config, progress=False).policy
    params = DualSourcingParams(**kwargs)
    assert dp.policy_cost(params, policy) < 1.01 * dp.solve(params).cost


def test_perishable_structure_counts_rising_orders_only():
    from inventory_gym.envs.perishable.env import decreasing_violations as perishable_violations

    grad = torch.tensor([[-0.9, -1.5, -0.1], [0.2, -0.5, 0.3]])
    # Steeper in older stock is allowed (the exact LIFO optimum does it); rising is not.
    assert perishable_violations(grad).tolist() == pytest.approx([0.0, 0.5])
    result = train(
        ("Perishable-v0", {"useful_life": 3}),
        "mlp",
        fast(max_steps=5, penalty_weight=1.0, penalty_rows=8),
        progress=False,
    )
    assert math.isfinite(result.log[-1]["penalty"]) and result.log[-1]["penalty"] >= 0
