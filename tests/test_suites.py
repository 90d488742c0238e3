"""The benchmark suites (inventory_gym.suites) and their cached values (baselines.suites)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from inventory_gym import suites as registry
from inventory_gym.suites import (
    Suite,
    SuiteEvaluation,
    SuiteInstance,
    get_suite,
    register_suite,
    suite_names,
)

COUNTS = {
    "zipkin-poisson": 16,
    "zipkin-geometric": 16,
    "nonstationary": 6,
    "demoor": 20,
    "boettcher": 9,
    "procurement-removal": 4,
}


def test_every_suite_is_declared_with_its_instance_count():
    assert set(suite_names()) == set(COUNTS)
    for name, count in COUNTS.items():
        suite = get_suite(name)
        assert len(suite) == count == len(set(suite.instance_names))
        assert suite.name == name and suite.version >= 1


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_cache_matches_the_definition_of_its_version(name):
    """A definition never changes silently: a changed suite must bump its version and be
    recomputed (python -m baselines.suites NAME)."""
    suite = get_suite(name)
    assert suite.stale is None, suite.stale
    assert suite.cached, [i.name for i in suite if i.optimum is None]
    entry = registry.read_cache(registry.definition(name)[1])[name]
    assert entry["version"] == suite.version
    assert entry["fingerprint"] == suite.fingerprint
    assert entry["definition"] == suite.definition()


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_instances_build_and_belong_to_the_suite_problem(name):
    suite = get_suite(name)
    for inst in suite:
        made = inst.make_instance()
        assert made.problem.name == suite.problem
        assert inst.reference
        # The reference heuristic cannot beat the optimum (exact costs; a simulated one by
        # more than a few standard errors).
        slack = 4 * inst.details.get("reference_simulated_se", 0.0)
        assert inst.reference_cost >= inst.optimum - slack
        assert abs(inst.details["optimum_z"]) <= 4


def test_published_values_agree_with_the_cached_optimum():
    checked = 0
    for name in suite_names():
        for inst in get_suite(name):
            if inst.published is None:
                continue
            assert inst.tolerance is not None, (name, inst.name)
            assert abs(inst.optimum - inst.published) <= inst.tolerance, (name, inst.name)
            checked += 1
    assert checked == 16 + 5  # Zipkin's Table 3, Boettcher et al.'s l_r = 2 and 3
    zipkin = get_suite("zipkin-poisson")
    for inst in zipkin:  # the best base-stock policy, exact, against Zipkin's Table 3
        assert abs(inst.reference_cost - inst.reference_published) <= inst.tolerance, inst.name


def test_unknown_names_are_named_in_the_error():
    with pytest.raises(ValueError, match=r"'zipkin-poison'.*choose from: .*zipkin-poisson"):
        get_suite("zipkin-poison")
    with pytest.raises(ValueError, match=r"no instance 'p5-L1'.*p4-L1"):
        get_suite("zipkin-poisson").instance("p5-L1")


def test_gap_and_score():
    inst = SuiteInstance("a", "LostSales-v0", {}, optimum=10.0, reference="x", reference_cost=12.0)
    assert inst.gap(11.0) == pytest.approx(10.0)
    assert inst.gap(10.0) == 0.0
    assert inst.score(10.0) == pytest.approx(100.0)
    assert inst.score(12.0) == pytest.approx(0.0)
    assert inst.score(11.5) == pytest.approx(25.0)
    assert inst.score(14.0) == pytest.approx(-100.0)
    assert inst.reference_gap == pytest.approx(20.0)
    with pytest.raises(ValueError, match="no cached optimum"):
        replace(inst, optimum=None).gap(1.0)
    with pytest.raises(ValueError, match="no scale"):
        replace(inst, reference_cost=10.0).score(10.0)


def test_fingerprint_follows_the_definition_only():
    suite = get_suite("zipkin-poisson")
    assert replace(suite, description="other words", version=9).fingerprint == suite.fingerprint
    first = suite.instances[0]
    changed = (replace(first, kwargs={**first.kwargs, "lost_sales_cost": 5}), *suite.instances[1:])
    assert replace(suite, instances=changed).fingerprint != suite.fingerprint
    other = replace(suite.evaluation, num_paths=999)
    assert replace(suite, evaluation=other).fingerprint != suite.fingerprint
    renamed = (replace(first, reference="myopic1"), *suite.instances[1:])
    assert replace(suite, instances=renamed).fingerprint != suite.fingerprint


def test_a_changed_definition_drops_its_cached_values(tmp_path):
    base = get_suite("procurement-removal")
    toy = replace(base, name="toy-stale", instances=base.instances[:1])
    cache = tmp_path / "suites.json"
    entry = {"version": 1, "fingerprint": "0" * 16, "instances": {"default": {"optimum": 1.0}}}
    cache.write_text(json.dumps({"format": 1, "suites": {"toy-stale": entry}}))
    register_suite(toy, cache)
    try:
        got = get_suite("toy-stale")
        assert got.stale and "bump the version" in got.stale
        assert got.instances[0].optimum is None and not got.cached
        entry["fingerprint"] = toy.fingerprint
        cache.write_text(json.dumps({"format": 1, "suites": {"toy-stale": entry}}))
        assert get_suite("toy-stale").instances[0].optimum == 1.0
        entry["version"] = 2
        cache.write_text(json.dumps({"format": 1, "suites": {"toy-stale": entry}}))
        assert "version 2" in get_suite("toy-stale").stale
    finally:
        registry._REGISTERED.pop("toy-stale", None)


def test_bad_definitions_are_refused():
    ev = SuiteEvaluation(num_paths=10, periods=10, burn_in=0, seed=0)
    inst = SuiteInstance("a", "LostSales-v0", {})
    with pytest.raises(ValueError, match="unique"):
        Suite("s", 1, "lost_sales", "", (inst, inst), ev)
    with pytest.raises(ValueError, match="version"):
        Suite("s", 0, "lost_sales", "", (inst,), ev)
    with pytest.raises(ValueError, match="metric"):
        SuiteEvaluation(num_paths=10, periods=10, burn_in=0, seed=0, metric="discounted")
    with pytest.raises(ValueError, match="burn_in must be 0"):
        SuiteEvaluation(num_paths=10, periods=10, burn_in=5, seed=0, metric="horizon")
    with pytest.raises(ValueError, match="is a packaged suite"):
        register_suite(get_suite("demoor"))


def test_season_and_horizon_suites_score_from_the_start():
    for name in ("procurement-removal", "nonstationary"):
        ev = get_suite(name).evaluation
        assert ev.metric == "horizon" and ev.burn_in == 0 and ev.periods == 52
    for name in ("zipkin-poisson", "zipkin-geometric", "demoor", "boettcher"):
        assert get_suite(name).evaluation.metric == "average"


CHEAP = [
    ("zipkin-poisson", "p4-L1"),
    ("zipkin-geometric", "p9-L1"),
    ("nonstationary", "regime-up"),
    ("demoor", "m2-L1-LIFO-w7"),
    ("procurement-removal", "default"),
    ("boettcher", "lr2-ce5"),
]


@pytest.mark.parametrize(("name", "instance"), CHEAP)
def test_cached_optimum_matches_a_fresh_exact_solve(name, instance):
    from baselines import exact

    inst = get_suite(name).instance(instance)
    made = inst.make_instance()
    result = exact.solver(made.problem).solve(made.params, discount=None, margin=0, progress=False)
    assert result.cost == pytest.approx(inst.optimum, rel=1e-7)


def test_inventory_gym_suites_does_not_import_baselines():
    code = (
        "import sys, inventory_gym.suites as s; s.suites(); "
        "bad = [m for m in sys.modules if m == 'baselines' or m.startswith('baselines.')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compute_command_checks_the_caches(capsys):
    from baselines.suites import main

    assert main(["--check", "zipkin-poisson"]) == 0
    out = capsys.readouterr().out
    assert "zipkin-poisson: version 1, 16 instances" in out and "cache OK" in out
    with pytest.raises(SystemExit):
        main(["no-such-suite"])
    assert "no-such-suite" in capsys.readouterr().err


def test_suites_pickle_for_worker_processes():
    import pickle

    suite = get_suite("boettcher")
    back = pickle.loads(pickle.dumps(suite))
    assert back == suite and back.fingerprint == suite.fingerprint
    assert len({suite, back}) == 1 and len(set(suite.instances)) == len(suite)
    assert back.instances[0].optimum == suite.instances[0].optimum


def test_paired_gap_uses_the_optimum_simulated_on_the_suite_paths():
    inst = get_suite("procurement-removal").instance("default")
    simulated = inst.details["optimum_simulated"]
    assert inst.paired_gap(simulated) == 0.0
    assert inst.paired_gap(simulated + inst.optimum / 100) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="optimum_simulated"):
        SuiteInstance("a", "LostSales-v0", {}, optimum=1.0).paired_gap(1.0)


def test_recomputing_an_instance_reproduces_its_cached_values():
    """The whole computation (solve, simulate on the suite's paths, fit and score the
    reference) is deterministic: a cheap instance comes back with the cached numbers."""
    from baselines.suites import compute_suite_values

    suite = get_suite("procurement-removal")
    entry = compute_suite_values(
        suite.name, instances=["default"], write=False, progress=False, threads=None
    )
    assert entry["fingerprint"] == suite.fingerprint
    got, cached = entry["instances"]["default"], suite.instance("default")
    assert got["optimum"] == pytest.approx(cached.optimum, rel=1e-9)
    assert got["reference_cost"] == pytest.approx(cached.reference_cost, rel=1e-9)
    assert got["optimum_simulated"] == pytest.approx(cached.details["optimum_simulated"])
    with pytest.raises(ValueError, match="no instance 'nope'"):
        compute_suite_values(suite.name, instances=["nope"], write=False, progress=False)
