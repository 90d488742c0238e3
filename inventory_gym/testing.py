"""The conformance checks every registered environment must pass.

Importable by users of the suite (the way Gymnasium, jumanji and pgx ship their checkers)::

    from inventory_gym.testing import check_conformance
    check_conformance("LostSalesLeadTime-v0", lead_time=2)

Each ``check_*`` function raises ``AssertionError`` (or the underlying checker's error) with a
message that says what diverged. The checks that compare two runs (numpy against torch,
single env against the vector env) feed both the same pre-sampled demand paths through a
:class:`~inventory_gym.demand.Replay` model, so they test the dynamics and the shells, not the
random number generators.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from inventory_gym.core.instance import make_instance, problem_of
from inventory_gym.core.problem import Problem
from inventory_gym.core.shell import action_box, make_layout, prepare_actions
from inventory_gym.core.xp import python_scalars
from inventory_gym.demand import DemandModel, LifeCycle, Replay, Seasonal

__all__ = [
    "CHECKS",
    "check_backend_parity",
    "check_bad_input",
    "check_conformance",
    "check_demand_clock",
    "check_demand_law",
    "check_determinism",
    "check_gradients",
    "check_gymnasium_api",
    "check_invariants",
    "check_pickle",
    "check_random_invariants",
    "check_render",
    "check_sb3_api",
    "check_single_matches_vector",
    "conformance_cases",
    "problem_of",
    "random_features",
]


def conformance_cases(problems: Any = None) -> list[tuple[str, str, dict[str, Any]]]:
    """Every ``(env_id, label, kwargs)`` the suite runs on: each registered id with its
    defaults, then each problem's declared :attr:`~Problem.conformance_cases`.

    Args:
        problems: the problems (default: every problem this package ships).
    """
    if problems is None:
        from inventory_gym.registration import PROBLEMS as problems
    out: list[tuple[str, str, dict[str, Any]]] = []
    for problem in problems:
        out += [(reg.id, "defaults", {}) for reg in problem.registrations]
        first = problem.registrations[0].id if problem.registrations else None
        out += [
            (case.env_id or first, case.label, dict(case.kwargs))
            for case in problem.conformance_cases
        ]
    return out


def _make_vec(env_id: str, num_envs: int, **kwargs: Any) -> gym.vector.VectorEnv:
    return gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )


def _random_actions(space: gym.Space, rng: np.random.Generator, n: int, spill: float = 0.0):
    """``n`` actions from ``space``; Box actions spread ``spill`` beyond the bounds on both
    sides, to exercise the documented clipping."""
    if isinstance(space, gym.spaces.Box) and np.issubdtype(space.dtype, np.integer):
        # A batched MultiDiscrete space is an integer Box (gymnasium's batch_space).
        return rng.integers(space.low, space.high.astype(np.int64) + 1, size=(n, *space.shape))
    if isinstance(space, gym.spaces.Box):
        low, high = space.low.astype(np.float64), space.high.astype(np.float64)
        width = high - low
        return rng.uniform(low - spill * width, high + spill * width, size=(n, *space.shape))
    return np.stack([space.sample() for _ in range(n)])


def _as_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _replay_kwargs(
    env_id: str, num_envs: int, periods: int, seed: int, **kwargs: Any
) -> dict[str, Any]:
    """``kwargs`` with ``num_envs`` demand paths pre-sampled from the env's own demand model,
    as a Replay; ``max_order`` is pinned, since its default depends on the demand model."""
    found = make_instance(env_id, kwargs)
    model = found.problem.demand(found.params)
    paths = model.sample(np.random.default_rng(seed), num_envs, periods)
    out = dict(kwargs, demand=Replay(paths))
    if "max_order" in found.problem.params_cls.__dataclass_fields__:
        high = make_layout(found.problem, found.params, found.shell).action_high
        out.setdefault("max_order", found.params.max_order or float(high.max()))
    return out


# -- API checkers ---------------------------------------------------------------------------
def check_gymnasium_api(env_id: str, **kwargs: Any) -> None:
    """Gymnasium's ``check_env`` on the single env, plus ``render_mode="ansi"``."""
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, render_mode="ansi", **kwargs)
    # The pictures (rgb_array, human) are checked by check_render, more closely and with small
    # frames.
    check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=0)
    env.step(env.action_space.sample())
    text = env.render()
    assert isinstance(text, str) and text and "\n" not in text, f"ansi render gave {text!r}"


def check_sb3_api(env_id: str, **kwargs: Any) -> None:
    """stable-baselines3's ``check_env`` (its own API expectations) on the single env."""
    from stable_baselines3.common.env_checker import check_env

    with warnings.catch_warnings():
        # SB3 recommends a symmetric [-1, 1] Box: advice for its users, not an API failure.
        warnings.filterwarnings("ignore", message=".*symmetric and normalized Box.*")
        check_env(gym.make(env_id, **kwargs).unwrapped, warn=True)


def check_render(env_id: str, *, steps: int = 2, dpi: int = 12, **kwargs: Any) -> None:
    """Every render mode of the single env: ``render()`` before ``reset()`` raises Gymnasium's
    ``ResetNeeded`` (through ``gym.make`` and on the unwrapped env); ``"rgb_array"`` gives a
    new (H, W, 3) uint8 frame at each call, of the same shape, sharing no memory with the
    last, not blank, and changing as the episode goes; ``"human"`` draws at ``reset`` and
    ``step`` and ``render()`` returns ``None`` (as Gymnasium's passive checker expects).

    Frames are small (``dpi``): the check is about the API, not the picture."""
    env = gym.make(env_id, **kwargs)
    modes = env.metadata["render_modes"]
    assert {"ansi", "rgb_array", "human"} <= set(modes), f"render modes: {modes}"
    with warnings.catch_warnings():
        # A headless machine has no window for "human": the figure is drawn all the same.
        warnings.filterwarnings("ignore", message=".*shows no window", category=UserWarning)
        for mode in ("rgb_array", "human"):
            _check_render_mode(env_id, mode, steps, dpi, kwargs)


def _check_render_mode(
    env_id: str, mode: str, steps: int, dpi: int, kwargs: dict[str, Any]
) -> None:
    from gymnasium.utils.passive_env_checker import env_render_passive_checker

    env = gym.make(env_id, render_mode=mode, render_dpi=dpi, **kwargs)
    for target in (env, env.unwrapped):
        try:
            target.render()
        except gym.error.ResetNeeded:
            pass
        else:
            raise AssertionError(f"{mode}: render() before reset() did not raise ResetNeeded")
    env.reset(seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the passive checker's advice
        env_render_passive_checker(env.unwrapped)
    if mode == "human":
        env.step(env.action_space.sample())
        assert env.render() is None, "human: render() must return None"
        assert env.unwrapped._renderer is not None, "human: reset and step drew nothing"
        env.close()
        return
    frames = [env.render()]
    for _ in range(steps):
        env.step(env.action_space.sample())
        frames.append(env.render())
    first = frames[0]
    assert isinstance(first, np.ndarray) and first.dtype == np.uint8, type(first)
    assert first.ndim == 3 and first.shape[2] == 3 and min(first.shape[:2]) > 1, first.shape
    for t, (a, b) in enumerate(itertools.pairwise(frames)):
        assert b.shape == first.shape and b.dtype == np.uint8, f"frame {t + 1}: {b.shape}"
        assert not np.shares_memory(a, b), f"frames {t} and {t + 1} share memory"
    assert all(frame.std() > 0 for frame in frames), "a blank frame"
    assert not np.array_equal(frames[0], frames[-1]), "the frames do not change"
    env.close()


# -- reproducibility ------------------------------------------------------------------------
def _rollout_single(env: gym.Env, actions: np.ndarray, seed: int) -> list[Any]:
    out: list[Any] = [env.reset(seed=seed)[0]]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        out.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            out.append(env.reset()[0])
    return out


def _rollout_vector(env: Any, actions: np.ndarray, seed: int) -> list[Any]:
    # Observations compared in float32, the dtype of the observation space (the torch backend
    # may compute in float64).
    obs, _ = env.reset(seed=seed)
    out: list[Any] = [_as_numpy(obs).astype(np.float32)]
    for action in actions:
        obs, reward, _, truncated, info = env.step(action)
        out.append(
            (
                _as_numpy(obs).astype(np.float32),
                _as_numpy(reward),
                _as_numpy(truncated),
                {k: _as_numpy(v) for k, v in info.items() if not isinstance(v, dict)},
            )
        )
    return out


def _assert_same(a: Any, b: Any, what: str, **tol: float) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{what}: info keys differ: {a.keys()} vs {b.keys()}"
        for key in a:
            _assert_same(a[key], b[key], f"{what}[{key!r}]", **tol)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{what}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{what}[{i}]", **tol)
    elif tol:
        np.testing.assert_allclose(_as_numpy(a), _as_numpy(b), err_msg=what, **tol)
    else:
        np.testing.assert_array_equal(_as_numpy(a), _as_numpy(b), err_msg=what)


def check_determinism(env_id: str, *, steps: int = 300, seed: int = 7, **kwargs: Any) -> None:
    """Two envs with the same seed give identical rollouts; another seed gives another one.

    Checked for the single env and for the native vector env (numpy and torch).
    """
    rng = np.random.default_rng(seed)
    env = gym.make(env_id, max_episode_steps=steps // 3, **kwargs)
    actions = _random_actions(env.action_space, rng, steps)
    first = _rollout_single(env, actions, seed)
    second = _rollout_single(
        gym.make(env_id, max_episode_steps=steps // 3, **kwargs), actions, seed
    )
    _assert_same(first, second, "single env, same seed")
    other = _rollout_single(env, actions, seed + 1)
    demands = [step[4]["demand"] for step in first if isinstance(step, tuple)]
    other_demands = [step[4]["demand"] for step in other if isinstance(step, tuple)]
    if np.var(demands) > 0:
        assert demands != other_demands, "single env: different seeds gave the same demand"
    for backend in ("numpy", "torch"):
        vec = [
            _make_vec(env_id, 4, backend=backend, max_episode_steps=steps // 3, **kwargs)
            for _ in range(2)
        ]
        acts = _random_actions(vec[0].action_space, rng, steps // 2)
        _assert_same(
            _rollout_vector(vec[0], acts, seed),
            _rollout_vector(vec[1], acts, seed),
            f"vector env ({backend}), same seed",
        )


def check_pickle(env_id: str, *, steps: int = 50, seed: int = 3, **kwargs: Any) -> None:
    """A pickled and restored env (single, and vector on both backends) continues identically."""
    rng = np.random.default_rng(seed)
    env = gym.make(env_id, **kwargs)
    env.reset(seed=seed)
    actions = _random_actions(env.action_space, rng, 2 * steps)
    for action in actions[:steps]:
        env.step(action)
    clone = pickle.loads(pickle.dumps(env))
    for i, action in enumerate(actions[steps:]):
        _assert_same(env.step(action), clone.step(action), f"single env after pickling, step {i}")
    for backend in ("numpy", "torch"):
        vec = _make_vec(env_id, 3, backend=backend, **kwargs)
        vec.reset(seed=seed)
        acts = _random_actions(vec.action_space, rng, 2 * steps)
        for action in acts[:steps]:
            vec.step(action)
        clone = pickle.loads(pickle.dumps(vec))
        for i, action in enumerate(acts[steps:]):
            a, b = vec.step(action), clone.step(action)
            _assert_same(
                [_as_numpy(x) for x in a[:4]],
                [_as_numpy(x) for x in b[:4]],
                f"vector env ({backend}) after pickling, step {i}",
            )


# -- equivalence of the shells --------------------------------------------------------------
def check_backend_parity(
    env_id: str, *, num_envs: int = 16, steps: int = 120, seed: int = 11, **kwargs: Any
) -> None:
    """numpy == torch (float64) on the same demand paths and actions: observations, rewards,
    truncations and every info entry, through an autoreset."""
    opts = _replay_kwargs(env_id, num_envs, steps, seed, **kwargs)
    opts["max_episode_steps"] = steps // 2
    np_env = _make_vec(env_id, num_envs, backend="numpy", **opts)
    torch_env = _make_vec(env_id, num_envs, backend="torch", dtype="float64", **opts)
    acts = _random_actions(np_env.action_space, np.random.default_rng(seed), steps, spill=0.2)
    _assert_same(
        _rollout_vector(np_env, acts, seed),
        _rollout_vector(torch_env, acts, seed),
        "numpy vs torch",
        rtol=1e-12,
        atol=1e-9,
    )


def check_single_matches_vector(
    env_id: str, *, num_envs: int = 5, steps: int = 90, seed: int = 5, **kwargs: Any
) -> None:
    """The single env (through ``gym.make``) equals row 0 of the vector env on the same
    demand path and actions, truncation and reset included."""
    horizon = steps // 3
    opts = _replay_kwargs(env_id, num_envs, steps, seed, **kwargs)
    replay = opts.pop("demand")
    vec = _make_vec(env_id, num_envs, demand=replay, max_episode_steps=horizon, **opts)
    # The single env replays row 0 from the start of each episode, as the vector env does.
    single = gym.make(env_id, demand=replay.row(0), max_episode_steps=horizon, **opts)
    rng = np.random.default_rng(seed)
    acts = _random_actions(vec.action_space, rng, steps, spill=0.2)
    vec_obs, _ = vec.reset(seed=seed)
    obs, _ = single.reset(seed=seed)
    np.testing.assert_array_equal(obs, vec_obs[0], err_msg="reset observation")
    done = False
    for t, action in enumerate(acts):
        vec_obs, vec_reward, _, vec_trunc, vec_info = vec.step(action)
        if done:
            # NEXT_STEP autoreset: the vector env restarts this step; the single env resets.
            obs, _ = single.reset()
            np.testing.assert_array_equal(obs, vec_obs[0], err_msg=f"reset at step {t}")
            done = False
            continue
        obs, reward, _, truncated, info = single.step(action[0])
        np.testing.assert_array_equal(obs, vec_obs[0], err_msg=f"observation at step {t}")
        assert reward == vec_reward[0], f"reward at step {t}: {reward} vs {vec_reward[0]}"
        assert truncated == vec_trunc[0], f"truncation at step {t}"
        for key, value in info.items():
            np.testing.assert_array_equal(
                np.asarray(value), vec_info[key][0], err_msg=f"info[{key!r}] at step {t}"
            )
        done = truncated


def _obs(obs: Any) -> np.ndarray:
    # Compared in float32, the dtype of the observation space (torch may compute in float64).
    return _as_numpy(obs).astype(np.float32)


@dataclass(frozen=True, eq=False)
class _MeanPath(DemandModel):
    """A non-stationary model without a horizon whose draw for period ``t`` is exactly
    ``model.mean_at(t)``: every demand shows the clock that drew it, so two shells can be
    compared number for number (no random numbers involved)."""

    model: DemandModel

    @property
    def spec(self) -> str:
        return f"mean_path({self.model.spec})"

    @property
    def is_integer(self) -> bool:
        return False

    @property
    def is_stationary(self) -> bool:
        return False

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.model.mean

    def mean_at(self, t: Any) -> Any:
        return self.model.mean_at(t)

    def quantile(self, q: float) -> float:
        return self.model.quantile(q)

    def _means(self, batch: int, periods: int, start: Any) -> np.ndarray:
        starts = np.broadcast_to(np.asarray(_as_numpy(start), dtype=np.int64), (batch,))
        return np.asarray(self.model.mean_at(starts[:, None] + np.arange(periods)[None, :]))

    def _sample_numpy(self, rng, batch, periods, start):
        return self._means(batch, periods, start)

    def _sample_torch(self, generator, batch, periods, start, device, dtype):
        import torch

        return torch.as_tensor(self._means(batch, periods, start), dtype=dtype, device=device)


def check_demand_clock(
    env_id: str, *, num_envs: int = 4, steps: int = 60, seed: int = 13, **kwargs: Any
) -> None:
    """Demand that changes over time is drawn from each row's own clock.

    With a seasonal model (:class:`~inventory_gym.demand.Seasonal`, around the env's own mean)
    whose draw for period ``t`` is its mean ``mu_t``, through staggered partial resets
    (``reset(options={"reset_mask": ...})``) and autoresets (next-step and same-step): every
    row's demand is that of its own period (``demand_window`` history periods, then the
    episode's), the history of a fresh row is periods ``0 .. demand_window - 1``, the single
    env equals row 0 of the vector env, and numpy equals torch; the same for a life cycle
    (:class:`~inventory_gym.demand.LifeCycle`, same-step autoresets). Then the seasonal model
    itself (random draws), over a Poisson and a negative-binomial base, runs through the three
    shells, partial resets included.
    """
    env = gym.make(env_id, disable_env_checker=True, **kwargs).unwrapped
    mean = float(env.problem.demand(env.params).mean)
    season = Seasonal(mean, 0.6, 5, 0.4)
    opts = {k: v for k, v in kwargs.items() if k != "demand"}
    if "max_order" in env.problem.params_cls.__dataclass_fields__:
        opts.setdefault("max_order", env.params.max_order or float(env.layout.action_high.max()))
    rng = np.random.default_rng(seed)
    # Staggered restarts: a random set of rows every few steps, row 0 every other time.
    masks = {}
    for t in range(2, steps, 5):
        mask = rng.random(num_envs) < 0.5
        mask[0] = t % 10 == 2
        masks[t] = mask
    # A life cycle (ramp, plateau, decline) and a negative-binomial season: the other
    # families of :mod:`inventory_gym.demand` go through the same clocks.
    life = LifeCycle(1.6 * mean, 3, 2, 4, 0.4 * mean)
    season_nb = Seasonal(mean, 0.6, 5, 0.4, 2.0)
    runs = [
        (_MeanPath(season), "NextStep"),
        (_MeanPath(season), "SameStep"),
        (_MeanPath(life), "SameStep"),
        (season, "NextStep"),
        (season_nb, "NextStep"),
    ]
    for model, mode in runs:
        reference = model.model if isinstance(model, _MeanPath) else model
        _check_clock_run(
            env, env_id, model, reference, mode, masks, rng, num_envs, steps, seed, opts
        )


def _check_clock_run(
    env: Any,
    env_id: str,
    model: DemandModel,
    season: DemandModel,
    mode: str,
    masks: dict[int, np.ndarray],
    rng: np.random.Generator,
    num_envs: int,
    steps: int,
    seed: int,
    opts: dict[str, Any],
) -> None:
    """One run of :func:`check_demand_clock`: one demand model, one autoreset mode."""
    import torch

    exact = isinstance(model, _MeanPath)
    same_step = mode == "SameStep"
    window = env.config.demand_window
    n_state = len(env.problem.state_feature_names(env.params))
    history = season.mean_at(np.arange(window))
    horizon = 7
    vecs = {
        backend: _make_vec(
            env_id,
            num_envs,
            backend=backend,
            dtype="float64" if backend == "torch" else None,
            demand=model,
            max_episode_steps=horizon,
            autoreset_mode=mode,
            **opts,
        )
        for backend in ("numpy", "torch")
    }
    single = gym.make(env_id, demand=model, max_episode_steps=horizon, **opts)
    acts = _random_actions(vecs["numpy"].action_space, rng, steps, spill=0.2)
    clock = np.zeros(num_envs, dtype=np.int64)
    needs_reset = np.zeros(num_envs, dtype=bool)
    what = f"{model.spec}, {mode}"

    def compare(out: dict[str, Any], when: str, fresh: np.ndarray) -> None:
        if not exact:
            return
        _assert_same(out["numpy"], out["torch"], f"numpy vs torch, {when} ({what})", rtol=1e-12)
        if window:
            np.testing.assert_allclose(
                out["numpy"][0][fresh, n_state : n_state + window],
                np.broadcast_to(history, (int(fresh.sum()), window)),
                rtol=1e-6,
                err_msg=f"demand window of the fresh rows, {when} ({what})",
            )

    def same_as_row0(single_obs: np.ndarray, obs: np.ndarray, when: str) -> None:
        if exact:
            np.testing.assert_array_equal(single_obs, obs, err_msg=f"row 0, {when} ({what})")

    obs = {b: _obs(vec.reset(seed=seed)[0]) for b, vec in vecs.items()}
    compare({b: [o] for b, o in obs.items()}, "reset", np.ones(num_envs, dtype=bool))
    same_as_row0(single.reset(seed=seed)[0], obs["numpy"][0], "reset")
    for t in range(steps):
        mask = masks.get(t)
        if mask is not None:
            obs = {b: _obs(vec.reset(options={"reset_mask": mask})[0]) for b, vec in vecs.items()}
            compare({b: [o] for b, o in obs.items()}, f"partial reset at step {t}", mask)
            clock[mask] = 0
            needs_reset[mask] = False
            if mask[0]:
                same_as_row0(single.reset()[0], obs["numpy"][0], f"reset at step {t}")
        # Next-step autoreset: the rows truncated last step restart now and ignore the action.
        restart = needs_reset.copy()
        out = {}
        for backend, vec in vecs.items():
            action = acts[t] if backend == "numpy" else torch.as_tensor(acts[t])
            step = vec.step(action)
            info = {k: _as_numpy(v) for k, v in step[4].items() if not isinstance(v, dict)}
            if "final_obs" in info:
                info["final_obs"] = _obs(info["final_obs"])
            out[backend] = [_obs(step[0]), *(_as_numpy(x) for x in step[1:4]), info]
        played = ~restart
        demand = out["numpy"][4]["demand"]
        if exact:
            np.testing.assert_allclose(
                demand[played],
                season.mean_at(env.config.demand_window + clock)[played],
                rtol=1e-12,
                err_msg=f"step {t}: each row's demand is its own period's, clocks {clock} ({what})",
            )
        else:
            for backend in ("numpy", "torch"):
                d = out[backend][4]["demand"][played]
                assert np.all((d >= 0) & (d == np.round(d))), f"{backend} demand {d}"
        clock = np.where(restart, 0, clock + 1)
        truncated = clock >= horizon
        if same_step:
            clock[truncated] = 0  # reset within the step: the observation is the fresh one
            compare(out, f"step {t}", truncated)
        else:
            needs_reset = truncated
            compare(out, f"step {t}", restart)
        if restart[0]:
            same_as_row0(single.reset()[0], out["numpy"][0][0], f"autoreset at step {t}")
            continue
        single_obs, reward, _, single_truncated, info = single.step(acts[t][0])
        assert single_truncated == out["numpy"][3][0], f"truncation of row 0 at step {t}"
        assert exact or (info["demand"] >= 0 and float(info["demand"]).is_integer())
        if same_step and single_truncated:
            same_as_row0(single_obs, out["numpy"][4]["final_obs"][0], f"final obs at step {t}")
            single_obs, _ = single.reset()
        same_as_row0(single_obs, out["numpy"][0][0], f"observation at step {t}")
        if exact:
            assert reward == out["numpy"][1][0], f"row 0 reward at step {t} ({what})"
            for key, value in info.items():
                np.testing.assert_array_equal(
                    np.asarray(value),
                    out["numpy"][4][key][0],
                    err_msg=f"row 0 info[{key!r}] at step {t} ({what})",
                )
    assert (clock != clock[0]).any(), "the clocks were not staggered"


def _chi_square_pvalue(draws: np.ndarray, values: np.ndarray, probs: np.ndarray) -> float:
    """Pearson's chi-square p-value of integer draws against a pmf table (draws beyond it
    folded into its last point, as the table folds its tail; cells expecting fewer than 20
    draws pooled)."""
    from scipy import stats

    draws = np.minimum(draws.ravel(), values[-1])
    assert np.isin(draws, values).all(), f"draws outside the support: {np.setdiff1d(draws, values)}"
    counts = np.bincount(np.searchsorted(values, draws), minlength=len(values))
    expected = probs * draws.size
    big = expected >= 20
    observed = np.append(counts[big], counts[~big].sum())
    expected = np.append(expected[big], expected[~big].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    stat = float(((observed - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(stat, len(observed) - 1))


def check_demand_law(
    env_id: str, *, num_envs: int = 1000, steps: int = 60, seed: int = 17, **kwargs: Any
) -> None:
    """The demand the shells draw has the model's law: for a stationary discrete model, the
    demands of the numpy vector env (its table sampler), of the torch vector env and of the
    single env (``info["demand"]``) pass a chi-square test against the model's pmf
    (p > 1e-6). Other models are left to the demand module's own tests."""
    found = make_instance(env_id, kwargs)
    model = found.problem.demand(found.params)
    if not (model.is_stationary and model.is_integer and model.alias_table() is not None):
        return
    values, probs = model.pmf()
    draws = {}
    for backend in ("numpy", "torch"):
        vec = _make_vec(env_id, num_envs, backend=backend, **kwargs)
        vec.reset(seed=seed)
        action = np.zeros(vec.action_space.shape, dtype=np.float32)
        if backend == "torch":
            import torch

            action = torch.as_tensor(action)
        draws[f"vector env ({backend})"] = np.concatenate(
            [_as_numpy(vec.step(action)[4]["demand"]) for _ in range(steps)]
        )
    single = gym.make(env_id, **kwargs)
    single.reset(seed=seed)
    action = np.zeros(single.action_space.shape, dtype=np.float32)
    if not action.shape:
        action = 0
    draws["single env"] = np.array(
        [single.step(action)[4]["demand"] for _ in range(20 * steps)], dtype=np.float64
    )
    for shell, x in draws.items():
        pvalue = _chi_square_pvalue(x, values, probs)
        assert pvalue > 1e-6, (
            f"{env_id}: the {shell}'s demand does not follow {model.spec} (chi-square p = "
            f"{pvalue:.2e} over {x.size} draws)"
        )


# -- the dynamics ---------------------------------------------------------------------------
def random_features(problem: Problem, params: Any, n: int, rng: np.random.Generator):
    """``n`` random states as feature rows within the state bounds (inf bounds -> 4x the cap)."""
    low, high = problem.state_feature_bounds(params)
    cap = float(np.max(problem.action_high(params)))
    high = np.where(np.isfinite(high), high, 4 * cap)
    low = np.where(np.isfinite(low), low, -4 * cap)
    features = rng.uniform(low, high, size=(n, low.size))
    # Half the rows on the integer grid, where ties with integer demand happen.
    features[: n // 2] = np.round(features[: n // 2])
    return features


def check_invariants(
    problem: Problem,
    params: Any,
    features: np.ndarray,
    actions: np.ndarray,
    demand: np.ndarray,
    *,
    atol: float = 1e-9,
) -> None:
    """Conservation of units and non-negativity on given states, actions and demands (numpy).

    Actions are prepared first as the shells do (:func:`~inventory_gym.core.shell.prepare_actions`:
    clipped to the action bounds, the state's bounds included).
    """
    state = problem.state_from_features(np.asarray(features, np.float64), params)
    high = np.asarray(problem.action_high(params), np.float64)
    values = np.asarray(actions, np.float64)
    values = prepare_actions(
        values.reshape(values.shape[0], -1),
        problem,
        params,
        state,
        action_box(np.zeros_like(high), high),
        np,
        batch=values.shape[0],
    )
    if problem.action_dim == 1:
        action = values[:, 0]
    else:
        action = tuple(values[:, i] for i in range(problem.action_dim))
    demand = np.asarray(demand, np.float64)
    next_state, costs, flows = problem.transition(state, action, demand, params, np)
    for name, residual in problem.invariants(
        state, action, demand, next_state, costs, flows, np
    ).items():
        worst = int(np.argmax(np.abs(residual)))
        assert np.all(np.abs(residual) <= atol * (1 + np.abs(features).max())), (
            f"{name}: residual {residual[worst]} at state {features[worst]}, "
            f"action {values[worst]}, demand {demand[worst]}"
        )


def check_random_invariants(env_id: str, *, n: int = 20000, seed: int = 0, **kwargs: Any) -> None:
    """:func:`check_invariants` on ``n`` random states, actions and demands of the env."""
    found = make_instance(env_id, kwargs)
    problem, params = found.problem, found.params
    rng = np.random.default_rng(seed)
    features = random_features(problem, params, n, rng)
    high = problem.action_high(params)
    actions = rng.uniform(-0.2 * high, 1.2 * high, size=(n, high.size))
    actions[: n // 2] = np.round(actions[: n // 2])
    demand = problem.demand(params).sample(rng, n, 1)[:, 0]
    check_invariants(problem, params, features, actions, demand)


def check_gradients(env_id: str, *, num_envs: int = 3, steps: int = 6, **kwargs: Any) -> None:
    """The differentiable torch backend: ``torch.autograd.gradcheck`` of a rollout's total
    cost with respect to every action, in float64, on continuous demand (away from the kinks),
    through the Gymnasium API (``reset``/``step``)."""
    import torch

    rng = np.random.default_rng(0)
    # Continuous demand with fractional parts, actions away from integers: no ties. Rounding
    # (and a discrete action space, which has no gradient) is switched off for the finite
    # differences; straight-through rounding is checked separately below.
    opts = dict(kwargs, integer_actions=False, discrete_actions=False)
    probe = _make_vec(env_id, num_envs, **opts)
    high = probe.single_action_space.high.astype(np.float64)
    periods = steps + probe.unwrapped.config.demand_window
    paths = rng.uniform(0.1, float(high.max()) * 0.8, size=(num_envs, periods)) + 0.37
    opts.update(
        backend="torch",
        dtype="float64",
        differentiable=True,
        demand=Replay(paths),
        max_episode_steps=steps,
    )
    shape = (steps, *probe.action_space.shape)
    start = rng.uniform(0.15, 0.85, size=shape) * high + 0.013

    def rollout_cost(env: Any, actions: torch.Tensor) -> torch.Tensor:
        env.reset(seed=0)
        total = torch.zeros((), dtype=torch.float64)
        for t in range(steps):
            _, reward, *_ = env.step(actions[t])
            total = total - reward.sum()
        return total

    env = _make_vec(env_id, num_envs, **opts)
    actions = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a: rollout_cost(env, a), (actions,), eps=1e-6, atol=1e-5
    ), "gradcheck failed"

    # Straight-through rounding: the gradient at integer actions is the continuous one.
    rounded_env = _make_vec(env_id, num_envs, **dict(opts, integer_actions=True))
    grads = []
    for run_env in (env, rounded_env):
        leaf = torch.tensor(np.round(start), dtype=torch.float64, requires_grad=True)
        rollout_cost(run_env, leaf).backward()
        grads.append(leaf.grad)
    assert torch.allclose(grads[0], grads[1]), "straight-through gradient differs"
    assert torch.isfinite(grads[0]).all()


# -- bad input ------------------------------------------------------------------------------
def check_bad_input(
    env_id: str, bad_params: list[tuple[dict[str, Any], str]] | None = None, **kwargs: Any
) -> None:
    """Invalid parameters raise a ``ValueError`` naming the parameter and the value; NaN or
    infinite actions raise a ``ValueError``; Box actions outside the bounds are clipped."""
    problem = problem_of(env_id)
    if bad_params is None:
        if not problem.invalid_params:
            raise AssertionError(
                f"declare invalid-parameter cases in {type(problem).__name__}.invalid_params"
            )
        bad_params = list(problem.invalid_params)
    for bad, expected in bad_params:
        merged = {**kwargs, **bad}
        for make in (gym.make, lambda env_id, **kw: _make_vec(env_id, 2, **kw)):
            try:
                make(env_id, **merged)
            except ValueError as err:
                message = str(err)
                assert expected in message, f"{bad}: message {message!r} lacks {expected!r}"
                for value in bad.values():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        assert repr(value) in message or f"{value:g}" in message, (
                            f"{bad}: message {message!r} does not show the value"
                        )
            else:
                raise AssertionError(f"{env_id} accepted invalid parameters {bad}")

    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    space = env.action_space
    if isinstance(space, gym.spaces.Box):
        for bad_value in (np.nan, np.inf, -np.inf):
            action = np.full(space.shape, bad_value, dtype=np.float32)
            _expect_value_error(f"action {action}", env.step, action)
        high = space.high.astype(np.float64)
        if problem.state_dependent_bounds:
            # The state's bounds apply too (a removal is capped by the stock on hand).
            base = env.unwrapped
            _, state_high = problem.action_bounds(base._state, base.params, python_scalars)
            high = np.minimum(high, np.array([float(v) for v in state_high]))
        _, _, _, _, info = env.step(space.high * 3)
        orders = np.atleast_1d(info["order"])
        np.testing.assert_allclose(orders, high, err_msg="too large an order is clipped")
        _, _, _, _, info = env.step(-space.high)
        np.testing.assert_allclose(np.atleast_1d(info["order"]), 0.0, err_msg="negative -> 0")
    for backend in ("numpy", "torch"):
        vec = _make_vec(env_id, 2, backend=backend, **kwargs)
        vec.reset(seed=0)
        nan_action = np.full(vec.action_space.shape, np.nan)
        _expect_value_error(f"NaN action ({backend} vector env)", vec.step, nan_action)


def _expect_value_error(what: str, fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except ValueError:
        return
    raise AssertionError(f"{what} did not raise ValueError")


EXPECTED_WARNINGS: tuple[tuple[str, str], ...] = (
    (
        r".*symmetric and normalized space",
        "orders are in units, [0, max_order]: a rescaled action space would hide the units "
        "the kernel, the heuristics and the DP share (PPO rescales in its own adapter)",
    ),
    (
        r".*Box observation space maximum and minimum values are equal",
        "static features (costs, lead time) are observed as constants, by design",
    ),
    (
        r".*Box observation space maximum value is infinity",
        "demand lags and stock levels have no upper bound",
    ),
    (
        r".*Box observation space minimum value is -infinity",
        "a backlog (dual sourcing's net inventory) has no lower bound",
    ),
)
"""(message pattern, reason) of gymnasium's and SB3's advice that the envs do not follow on
purpose: the checks below filter them, and so does the test suite (pyproject.toml)."""


def _with_expected_warnings(check: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> None:
        with warnings.catch_warnings():
            for pattern, _reason in EXPECTED_WARNINGS:
                warnings.filterwarnings("ignore", message=pattern, category=UserWarning)
            check(*args, **kwargs)

    return run


CHECKS: tuple[Callable[..., None], ...] = tuple(
    _with_expected_warnings(check)
    for check in (
        check_gymnasium_api,
        check_sb3_api,
        check_determinism,
        check_pickle,
        check_backend_parity,
        check_single_matches_vector,
        check_demand_clock,
        check_demand_law,
        check_random_invariants,
        check_render,
        check_gradients,
        check_bad_input,
    )
)
"""Every check of the suite, in the order :func:`check_conformance` runs them (one list, for
the suite's own tests and for a problem's tests)."""


def check_conformance(env_id: str, **kwargs: Any) -> None:
    """Run every check of :data:`CHECKS` on one env id (with optional keyword overrides)."""
    for check in CHECKS:
        check(env_id, **kwargs)
