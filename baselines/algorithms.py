"""Every way of producing a policy behind one interface: stable-baselines3 algorithms,
DirectBackprop, the named heuristics and a user's own training function.

An :class:`Algorithm` is found by its spec (:func:`algorithm`), as given on the command line:

======================  ============================================================  ==============
spec                    what it trains                                                budget unit
======================  ============================================================  ==============
``sb3:PPO``, ``sb3:A2C``  a stable-baselines3 on-policy algorithm                       env steps
``sb3:SAC``, ``sb3:TD3``  an off-policy algorithm (also ``sb3:DDPG``)                   env steps
``sb3:DQN``             DQN, one discrete action per integer order vector             env steps
``sb3:TQC``...          an ``sb3_contrib`` algorithm (TQC, TRPO, QRDQN, CrossQ), when   env steps
                        sb3-contrib is installed (``pip install inventory-gym[contrib]``)
``dbp``                 DirectBackprop's default MLP (:func:`dbp.train`)              gradient steps
``heuristic:NAME``      the problem's named policy NAME (``baselines.registry``)      none
``best-heuristic``      every named non-optimal heuristic, the best on validation     none
                        paths (seed 7919, never the test paths)
``package.module:fn``   a user's ``fn(envs, budget, seed) -> policy`` (:data:`TrainFn`)  the user's
======================  ============================================================  ==============

All stable-baselines3 algorithms go through :func:`baselines.ppo.train_sb3`: the native
batched VecEnv adapter (:mod:`inventory_gym.sb3`), actions in [-1, 1] mapped onto the orders,
``VecNormalize``, validation every ``eval_every`` steps keeping the best policy, one thread.

**Defaults.** An algorithm's settings are its domain defaults below, overridden by what the
problem declares in ``baselines/<problem>/rl.py`` (found by the problem's name, like
``policies()``; see :mod:`baselines.problems`):

- ``BUDGETS``: ``{spec: budget}``, the default budget of an algorithm on the problem;
- ``SB3``: ``{algorithm: {SB3Config field: value}}`` (``"*"``: every sb3 algorithm), with
  ``algo_kwargs`` merged into the algorithm's;
- ``DBP``: ``{TrainConfig field: value}``.

The domain defaults (:data:`SB3_DEFAULTS`, :data:`SB3_BUDGETS`) and the problems'
declarations, as shipped:

=====================  ==================  ==================  ====================  ==========
algorithm              lost_sales          perishable          dual_sourcing         others
=====================  ==================  ==================  ====================  ==========
``sb3:PPO``            2,000,000           2,000,000           2,000,000             2,000,000
``sb3:A2C``            2,000,000           2,000,000           2,000,000             2,000,000
``sb3:SAC``, TD3, ...  200,000             200,000             200,000               200,000
``sb3:DQN``, QRDQN     200,000             200,000             200,000               200,000
``dbp``                400                 1,100               600                   400
=====================  ==================  ==================  ====================  ==========

PPO's settings are :class:`baselines.ppo.PPOConfig`'s (256 envs x 64-step rollouts, 10 epochs
of 1024-sample minibatches, 64x64 tanh networks, gamma 0.99, log std -1, the first policy at
the mean demand, 1000-period episodes), with the problems' overrides:

=================  =========================================================================
problem            ``SB3`` overrides (``baselines/<problem>/rl.py``)
=================  =========================================================================
lost_sales         every algorithm: ``initial_spread=1.0`` (the first order's starting noise
                   at most the mean demand: geometric demand's wide order cap)
perishable         none (``DBP``: validation every 50 steps)
dual_sourcing      every algorithm: 256-period episodes; PPO and A2C: ``initial_policy=
                   "capped_dual_index"`` (the actor imitates the heuristic first; ``DBP``:
                   a 16-period first burn-in)
=================  =========================================================================

Each ``rl.py`` says why; ``benchmarks/README.md``, "PPO tuning (issue 18)", has the
measurements. At 2M steps PPO takes 72-94 s on an idle core of the 2-core machine (one
thread), within the benchmark's 200 s per trial.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym

from inventory_gym.core.instance import make_instance
from inventory_gym.evaluation import Policy

TrainFn = Callable[["EnvFactory", "int | None", int], Policy]
"""``(envs, budget, seed) -> a harness policy`` (the batched callable that
:func:`inventory_gym.evaluation.evaluate` scores). ``budget`` ``None`` means the algorithm's
default for the problem."""

VALIDATION = {"num_paths": 256, "periods": 500, "burn_in": 100, "seed": 7919}
"""The validation paths ``best-heuristic`` chooses on (the trainers' ``eval_*`` defaults;
the harness's test paths have seed 0)."""

USER_SPEC = "package.module:function"


@dataclass(frozen=True)
class EnvFactory:
    """One instance, as a training function receives it: the env id and its keywords."""

    env_id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    horizon: int | None = None
    """The periods the policy is scored on, from the starting state (a suite whose metric is
    ``"horizon"``); ``None``: a long-run average. Training then runs on episodes of this
    length (:meth:`episode`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kwargs", dict(self.kwargs or {}))
        if self.horizon is not None and (
            not isinstance(self.horizon, int) or isinstance(self.horizon, bool) or self.horizon < 1
        ):
            raise ValueError(f"EnvFactory: horizon must be an integer >= 1, got {self.horizon!r}")

    def episode(self) -> int | None:
        """The length of the episodes to train on: :attr:`horizon`, else the problem's selling
        season (``Problem.season``), else ``None`` (a long-run problem)."""
        if self.horizon is not None:
            return self.horizon
        inst = self.instance()
        return inst.problem.season(inst.params)

    def make(self, **overrides: Any) -> gym.Env:
        """``gym.make(env_id, **kwargs)`` with ``overrides`` on top of the kwargs."""
        return gym.make(self.env_id, **{**self.kwargs, **overrides})

    def make_vec(self, num_envs: int, **overrides: Any) -> Any:
        """The native batched vector env of ``num_envs`` systems (one kernel call a step);
        ``autoreset_mode="SameStep"`` for stable-baselines3-style loops."""
        return gym.make_vec(
            self.env_id,
            num_envs=num_envs,
            vectorization_mode="vector_entry_point",
            **{**self.kwargs, **overrides},
        )

    def instance(self) -> Any:
        """The :class:`~inventory_gym.core.instance.Instance` (problem, parameters)."""
        return make_instance(self.env_id, self.kwargs)

    @property
    def problem(self) -> str:
        """The problem's name (``"lost_sales"``...)."""
        return self.instance().problem.name


@dataclass(frozen=True)
class Algorithm:
    """A named way to train (or fit) a policy; see the module docstring for the specs.

    The policies of ``sb3:*`` and ``dbp`` carry ``train_info`` (a dict: ``steps`` in the
    budget unit, ``seconds``, ``best_val_cost``, ``stopped``, ``threads``, ``seed``,
    ``config``); ``best-heuristic``'s carry ``best_heuristic`` (the chosen name and every
    candidate's validation cost)."""

    spec: str
    """As given on the command line, e.g. ``"sb3:PPO"``."""
    train: TrainFn
    """``(envs, budget, seed) -> policy``."""
    budget_unit: str
    """``"env steps"`` (sb3), ``"gradient steps"`` (dbp), ``"none"`` (heuristics) or
    ``"user"`` (a user's function: its own unit)."""
    summary: str
    """One line for ``--help`` and result tables."""
    budgets: Callable[[str], int | None] = field(default=lambda problem: None, repr=False)
    """``problem name -> default budget``."""
    settings: Callable[[str, int | None, int | None], dict[str, Any] | None] = field(
        default=lambda problem, budget, episode: None, repr=False
    )
    """``(problem name, budget, episode) -> the settings it trains with`` (its config with the
    problem's defaults, without the seed and the threads); ``None``: not known."""

    def default_budget(self, problem: str) -> int | None:
        """The budget used when none is given, on the problem named ``problem``."""
        return self.budgets(problem)

    def settings_of(
        self, problem: str, budget: int | None, episode: int | None = None
    ) -> dict[str, Any] | None:
        """What the algorithm trains with on ``problem`` at ``budget`` (``None``: its default)
        with training episodes of ``episode`` periods (``EnvFactory.episode()``; ``None``:
        long-run), the seed and the threads left out: the same dict means the same training,
        up to the seed. A benchmark trial records its digest, so that a changed default is
        noticed."""
        if budget is None:
            budget = self.default_budget(problem)
        return self.settings(problem, budget, episode)


NEUTRAL_SETTINGS: dict[str, Any] = {"initial_spread": None}
"""Settings added after benchmark trials were first recorded, each with the value at which
training is exactly what it was before the field existed. At that value a field is left out
of an algorithm's settings, so that adding a field does not make every earlier trial another
one; at any other value it is kept, and the trial is a different one (``sb3:*`` on lost sales,
whose ``rl.py`` sets ``initial_spread``)."""


def _trial_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without the seed, the threads and the :data:`NEUTRAL_SETTINGS` at their
    neutral value: what identifies a benchmark trial's training, up to its seed."""
    return {
        k: v
        for k, v in settings.items()
        if k not in ("seed", "threads") and not (k in NEUTRAL_SETTINGS and v == NEUTRAL_SETTINGS[k])
    }


def _with_info(policy: Any, **info: Any) -> Any:
    """Attach what the training did as ``policy.train_info`` (steps in the algorithm's budget
    unit, seconds, validation cost, threads, seed, config), where the policy accepts it."""
    try:
        policy.train_info = info
    except AttributeError:
        pass
    return policy


# -- per-problem declarations -------------------------------------------------------------------
@dataclass(frozen=True)
class _Named:
    name: str


def problem_declaration(problem: Any, attribute: str) -> dict[str, Any]:
    """What ``baselines/<problem>/rl.py`` declares as ``attribute`` (``{}`` if nothing).

    Args:
        problem: a problem's name or a :class:`~inventory_gym.core.problem.Problem`.
        attribute: ``BUDGETS``, ``SB3`` or ``DBP``.
    """
    from baselines.problems import declared

    target = _Named(problem) if isinstance(problem, str) else problem
    return dict(declared(target, attribute, "rl", {}) or {})


def problem_overrides(problem: Any, spec: str) -> dict[str, Any]:
    """What ``baselines/<problem>/rl.py`` declares for the algorithm ``spec`` on top of its
    domain defaults: ``DBP`` for ``"dbp"``, ``SB3["*"]`` then ``SB3[NAME]`` for
    ``"sb3:NAME"`` (``{}`` for anything else or nothing declared)."""
    if problem is None:
        return {}
    if spec == "dbp":
        return problem_declaration(problem, "DBP")
    prefix, _, name = spec.partition(":")
    if prefix != "sb3":
        return {}
    declared = problem_declaration(problem, "SB3")
    return {**declared.get("*", {}), **declared.get(name, {})}


def declared_budget(problem: Any, spec: str) -> int | None:
    """The budget ``baselines/<problem>/rl.py`` declares for ``spec`` (``None``: none)."""
    if problem is None:
        return None
    budget = problem_declaration(problem, "BUDGETS").get(spec)
    return None if budget is None else int(budget)


# -- stable-baselines3 ---------------------------------------------------------------------------
OFF_POLICY = {
    "num_envs": 4,
    "learning_rate": 3e-4,
    "schedule": "constant",
    "eval_every": 20_000,
    "algo_kwargs": {"learning_starts": 5_000, "batch_size": 256},
}
SB3_DEFAULTS: dict[str, dict[str, Any]] = {
    "A2C": {"num_envs": 64, "learning_rate": 7e-4, "algo_kwargs": {"n_steps": 16}},
    "SAC": OFF_POLICY,
    "TD3": OFF_POLICY,
    "DDPG": OFF_POLICY,
    "TQC": OFF_POLICY,
    "CrossQ": OFF_POLICY,
    "DQN": {
        **OFF_POLICY,
        "learning_rate": 1e-4,
        "algo_kwargs": {**OFF_POLICY["algo_kwargs"], "exploration_fraction": 0.2},
    },
    "QRDQN": {
        **OFF_POLICY,
        "learning_rate": 1e-4,
        "algo_kwargs": {**OFF_POLICY["algo_kwargs"], "exploration_fraction": 0.2},
    },
    "TRPO": {"algo_kwargs": {"n_steps": 64, "batch_size": 1024}},
}
"""Domain defaults of :class:`baselines.ppo.SB3Config` per algorithm, on top of
``SB3Config()`` (PPO's are :class:`baselines.ppo.PPOConfig`'s). Off-policy algorithms use 4
envs (one gradient step per 4 env steps), a constant step size and 5,000 random steps first."""

SB3_BUDGETS = {"on-policy": 2_000_000, "off-policy": 200_000}
"""Default budgets in env steps: an off-policy gradient step per 4 env steps costs about as
much wall-clock time as PPO's 10 passes over 2M steps."""


def sb3_config(
    algo: str,
    problem: str | None = None,
    budget: int | None = None,
    seed: int = 0,
    episode: int | None = None,
):
    """The :class:`baselines.ppo.SB3Config` ``sb3:<algo>`` trains with on ``problem``.

    Its domain defaults (PPO: ``PPOConfig()``; others :data:`SB3_DEFAULTS`), then the
    problem's ``SB3["*"]`` and ``SB3[algo]`` overrides, then ``budget`` (env steps; ``None``:
    the default) and ``seed``, with one thread. With ``episode`` (a finite horizon or a
    selling season: :meth:`EnvFactory.episode`), training episodes and validation run that
    many periods from the starting state.
    """
    from baselines.ppo import PPOConfig, SB3Config, sb3_class

    sb3_class(algo)  # a clear error for an unknown name
    config = PPOConfig().to_sb3() if algo == "PPO" else SB3Config(algo=algo)
    for layer in (SB3_DEFAULTS.get(algo, {}), problem_overrides(problem, f"sb3:{algo}")):
        if layer:
            config = config.replace(**layer)
    if budget is None:
        budget = _sb3_budget(algo, problem)
    if episode is not None:
        config = config.replace(
            max_episode_steps=int(episode), eval_periods=int(episode), eval_burn_in=0
        )
    return config.replace(timesteps=int(budget), seed=int(seed), threads=1)


def _sb3_budget(algo: str, problem: str | None) -> int:
    from baselines.ppo import _is_on_policy, sb3_class

    declared = declared_budget(problem, f"sb3:{algo}")
    if declared is not None:
        return declared
    kind = "on-policy" if _is_on_policy(sb3_class(algo)) else "off-policy"
    return SB3_BUDGETS[kind]


def _sb3_algorithm(spec: str, algo: str) -> Algorithm:
    from baselines.ppo import _is_on_policy, sb3_class

    cls = sb3_class(algo)

    def train(envs: EnvFactory, budget: int | None, seed: int) -> Policy:
        from baselines.ppo import train_sb3

        config = sb3_config(algo, envs.problem, budget, seed, envs.episode())
        result = train_sb3(envs.env_id, envs.kwargs, config, progress=False)
        return _with_info(
            result.policy,
            steps=result.timesteps,
            seconds=result.seconds,
            best_val_cost=result.best_val_cost,
            stopped=result.stopped,
            threads=config.threads,
            seed=config.seed,
            config=config.to_dict(),
        )

    kind = "on-policy" if _is_on_policy(cls) else "off-policy"
    return Algorithm(
        spec,
        train,
        "env steps",
        f"{'sb3-contrib' if cls.__module__.startswith('sb3_contrib') else 'stable-baselines3'}"
        f" {algo} ({kind})",
        lambda problem: _sb3_budget(algo, problem),
        lambda problem, budget, episode: _trial_settings(
            sb3_config(algo, problem, budget, episode=episode).to_dict()
        ),
    )


# -- DirectBackprop ------------------------------------------------------------------------------
EPISODE_EVAL_EVERY = 25
"""``dbp`` on whole episodes validates at least this often (a validation is 256 episodes of
52 periods: cheap). Orders beyond the order cap are clipped by ``torch.clamp``, whose gradient
is zero outside the bounds: on ``nonstationary``'s regime-down product (demand 9, then 3 from
period 26) the network's early orders overshot the cap of 21 at about step 130 and stayed
there (training cost 14.6 at step 100, 42 from step 180 on), and with a validation every 200
steps only the collapsed policies were seen: 358% above the optimum."""


def dbp_config(
    problem: str | None = None,
    budget: int | None = None,
    seed: int = 0,
    episode: int | None = None,
) -> Any:
    """The :class:`dbp.TrainConfig` ``dbp`` trains with: ``TrainConfig()``, the problem's
    ``DBP`` overrides, ``budget`` gradient steps (``None``: the default), ``seed``, one
    thread; with ``episode`` (a finite horizon or a selling season), every step simulates
    fresh episodes of that many periods from the starting state
    (:func:`dbp.config.season_settings`)."""
    import dataclasses

    from dbp.config import TrainConfig, season_settings

    config = dataclasses.replace(TrainConfig(), **problem_overrides(problem, "dbp"))
    if episode is not None:
        config = dataclasses.replace(
            config,
            **season_settings(int(episode)),
            eval_every=min(config.eval_every, EPISODE_EVAL_EVERY),
        )
    steps = _dbp_budget(problem) if budget is None else int(budget)
    return dataclasses.replace(config, max_steps=steps, seed=int(seed), threads=1)


def _dbp_budget(problem: str | None) -> int:
    from dbp.config import DEFAULT_STEPS

    declared = declared_budget(problem, "dbp")
    return DEFAULT_STEPS if declared is None else declared


def _dbp(envs: EnvFactory, budget: int | None, seed: int) -> Policy:
    from dbp import train

    config = dbp_config(envs.problem, budget, seed, envs.episode())
    result = train((envs.env_id, envs.kwargs), "mlp", config, progress=False)
    return _with_info(
        result.policy,
        steps=result.steps,
        seconds=result.seconds,
        best_val_cost=result.best_val_cost,
        stopped=result.stopped,
        threads=result.threads,
        seed=config.seed,
        config=config.to_dict() if hasattr(config, "to_dict") else None,
    )


# -- heuristics ----------------------------------------------------------------------------------
HORIZON_PATHS = 2000
"""Fitting and validation paths of a heuristic on a finite horizon (whole horizons from the
starting state, as ``baselines.suites`` fits a horizon suite's reference)."""


def _fit_config(seed: int, episode: int | None = None) -> Any:
    from baselines.fitting import FitConfig

    # Seed 0 fits on the default paths; other seeds on other fitting paths.
    seed = FitConfig().seed + int(seed)
    if episode is None:
        return FitConfig(seed=seed)
    return FitConfig(num_paths=HORIZON_PATHS, periods=int(episode), burn_in=0, seed=seed)


def _validation(episode: int | None) -> dict[str, Any]:
    """The validation paths ``best-heuristic`` chooses on: :data:`VALIDATION`, or whole
    episodes from the starting state."""
    if episode is None:
        return dict(VALIDATION)
    return {**VALIDATION, "num_paths": HORIZON_PATHS, "periods": int(episode), "burn_in": 0}


def _heuristic(name: str) -> TrainFn:
    def train(envs: EnvFactory, budget: int | None, seed: int) -> Policy:
        from baselines.registry import fit_policy

        return fit_policy(name, envs.env_id, envs.kwargs, _fit_config(seed, envs.episode()))

    return train


def heuristic_names() -> tuple[str, ...]:
    """Every named policy of the packaged problems (``heuristic:NAME`` accepts these)."""
    from baselines.registry import entries
    from inventory_gym.registration import PROBLEMS

    names: list[str] = []
    for problem in PROBLEMS:
        for name in entries(problem):
            if name not in names:
                names.append(name)
    return tuple(names)


def best_heuristic(envs: EnvFactory, budget: int | None = None, seed: int = 0) -> Policy:
    """Fit every named non-optimal heuristic of the problem and return the one with the
    lowest cost on the validation paths (:data:`VALIDATION`, never the harness's test paths).

    The returned policy carries ``best_heuristic`` (a dict: the chosen name and every
    candidate's validation cost) where it accepts attributes.

    Raises:
        ValueError: when the problem has no heuristic, or none could be fitted.
    """
    from baselines.registry import entries
    from inventory_gym.evaluation import evaluate

    inst = envs.instance()
    candidates = [e for e in entries(inst.problem).values() if not e.optimal]
    if not candidates:
        raise ValueError(f"best-heuristic: the {inst.problem.name} problem declares no heuristic")
    costs: dict[str, float] = {}
    skipped: dict[str, str] = {}
    best, best_cost, best_name = None, float("inf"), None
    episode = envs.episode()
    for entry in candidates:
        try:
            policy = entry.fit(inst.env_id, inst.kwargs, _fit_config(seed, episode))
        except ValueError as err:  # a heuristic that does not apply to this instance
            skipped[entry.name] = str(err)
            continue
        cost = evaluate(policy, inst.env_id, inst.kwargs, **_validation(episode)).cost
        costs[entry.name] = cost
        if cost < best_cost:
            best, best_cost, best_name = policy, cost, entry.name
    if best is None:
        raise ValueError(f"best-heuristic: no heuristic could be fitted: {skipped}")
    try:
        best.best_heuristic = {"chosen": best_name, "val_costs": costs, "skipped": skipped}
    except AttributeError:
        pass
    return best


# -- a user's function ---------------------------------------------------------------------------
def _user(spec: str) -> Algorithm:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(
            f"algorithm {spec!r}: cannot import module {module_name!r} ({err}); "
            f"a user's algorithm is {USER_SPEC}"
        ) from None
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
        if fn is None:
            raise ValueError(f"algorithm {spec!r}: module {module_name!r} has no {attr!r}")
    if not callable(fn):
        raise ValueError(f"algorithm {spec!r}: {attr!r} is not callable")
    doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    return Algorithm(spec, fn, "user", doc[0] if doc else f"user algorithm {spec}")


# -- lookup --------------------------------------------------------------------------------------
def algorithm_specs() -> tuple[str, ...]:
    """The specs :func:`algorithm` accepts (for ``--help``): the sb3 algorithms installed,
    ``dbp``, ``heuristic:NAME``, ``best-heuristic`` and a user's ``package.module:function``."""
    from baselines.ppo import sb3_algorithms

    return (
        *(f"sb3:{name}" for name in sb3_algorithms()),
        "dbp",
        "heuristic:NAME",
        "best-heuristic",
        USER_SPEC,
    )


def algorithm(spec: str) -> Algorithm:
    """The :class:`Algorithm` of a spec (see the module docstring).

    Raises:
        ValueError: naming the spec and listing what is allowed.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"algorithm spec must be a non-empty string, got {spec!r}; {_allowed()}")
    spec = spec.strip()
    if spec == "dbp":
        return Algorithm(
            spec,
            _dbp,
            "gradient steps",
            "DirectBackprop, the default MLP (dbp.train)",
            _dbp_budget,
            lambda problem, budget, episode: _trial_settings(
                asdict(dbp_config(problem, budget, episode=episode))
            ),
        )
    if spec == "best-heuristic":
        return Algorithm(
            spec,
            best_heuristic,
            "none",
            "the best named heuristic of the problem on validation paths",
            settings=lambda problem, budget, episode: {
                "fit": _trial_settings(asdict(_fit_config(0, episode))),
                "validation": _validation(episode),
            },
        )
    prefix, sep, rest = spec.partition(":")
    if sep and prefix == "sb3":
        from baselines.ppo import sb3_class

        try:
            sb3_class(rest)
        except ValueError as err:
            raise ValueError(f"algorithm {spec!r}: {err}") from None
        return _sb3_algorithm(spec, rest)
    if sep and prefix == "heuristic":
        known = heuristic_names()
        if rest not in known:
            raise ValueError(
                f"algorithm {spec!r}: no problem has a policy named {rest!r}; "
                f"choose from: {', '.join(known)}"
            )
        return Algorithm(
            spec,
            _heuristic(rest),
            "none",
            f"the named policy {rest} (baselines.registry), fitted by simulation",
            settings=lambda problem, budget, episode: {
                "fit": _trial_settings(asdict(_fit_config(0, episode)))
            },
        )
    if sep and prefix and rest:
        return _user(spec)
    raise ValueError(f"unknown algorithm spec {spec!r}; {_allowed()}")


def _allowed() -> str:
    return "choose from: " + ", ".join(algorithm_specs())
