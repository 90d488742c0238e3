# Two commands on a fresh machine:  `make demo` (the main job) and `make test` (the tests).
# Both create or update a local virtual environment in .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-all lint format bench bench-zipkin bench-dbp bench-ppo bench-dual bench-perishable bench-vn2 bench-nonstationary bench-dp-scaling clean

# torch is pinned to 2.13.0 for the install step only: on the project's machines that release is a
# local CPU wheel, while an unpinned `torch` would pull a multi-GB CUDA build. The package itself
# asks for a range (setup.cfg), which the pinned wheel satisfies, so pip installs nothing more.
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/inventory-gym compare LostSalesLeadTime-v0

# `make test`: lint, the fast suite, then the tutorials (docs/tutorials, each executed as a
# notebook in a fresh kernel, written with its outputs to docs/tutorials/_build/) as a second
# pytest step, so that the fast suite's time stays what it was.
test: $(STAMP)
	$(PY) -m ruff check inventory_gym inventory_gym_cli baselines dbp tests benchmarks docs/tutorials
	$(PY) -m pytest -m "not slow and not tutorial" -q
	$(PY) -m pytest -m tutorial -q tests/test_tutorials.py

# Everything: the fast suite, the tests marked slow and the tutorials.
test-all: $(STAMP)
	$(PY) -m ruff check inventory_gym inventory_gym_cli baselines dbp tests benchmarks docs/tutorials
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check inventory_gym inventory_gym_cli baselines dbp tests benchmarks docs/tutorials
	$(PY) -m ruff format --check inventory_gym inventory_gym_cli baselines dbp tests benchmarks docs/tutorials

format: $(STAMP)
	$(PY) -m ruff format inventory_gym inventory_gym_cli baselines dbp tests benchmarks docs/tutorials
	$(PY) -m ruff check --fix inventory_gym inventory_gym_cli baselines dbp tests benchmarks docs/tutorials

bench: $(STAMP)
	$(PY) benchmarks/throughput.py

bench-zipkin: $(STAMP)
	$(PY) benchmarks/lost_sales_zipkin.py

bench-dbp: $(STAMP)
	$(PY) benchmarks/dbp_zipkin.py

# PPO against DBP, the best heuristic and the optimum (about 15 minutes), then PPO's data
# collection through the native adapter against SB3's DummyVecEnv (about 2 minutes).
bench-ppo: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/ppo_vs_dbp.py
	OMP_NUM_THREADS=1 $(PY) benchmarks/sb3_collection.py

# Dual sourcing: DP, the four index heuristics, DBP and PPO (about 20 minutes).
bench-dual: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/dual_sourcing.py

# Perishable (De Moor's scenario A, 20 instances): DP, three heuristics, DBP, PPO on two
# (about 30 minutes).
bench-perishable: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/perishable_demoor.py

# Time and peak memory of every exact solver against its state count (benchmarks/README.md);
# each instance in its own process, cached in benchmarks/results/dp_scaling/ (a rerun resumes).
bench-dp-scaling: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/dp_scaling.py

# VN2 pseudo-competitions: vn2_benchmark, the three predict-then-optimize policies and DBP
# trained before each of 14 windows (6 validation, 8 test; needs ../shared/data/vn2; about 60
# minutes at one thread, DBP's training most of it). PTO settings: benchmarks/vn2_sweep.py.
bench-vn2: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/vn2.py

bench-nonstationary: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/nonstationary.py

# Joint procurement and removal: season DP, heuristics, DBP (two networks x 3 seeds), PPO on
# four instances (benchmarks/README.md, "Joint procurement and removal").
.PHONY: bench-procurement
bench-procurement: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/procurement_removal.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .hypothesis
