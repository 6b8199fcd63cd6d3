# The two commands of the quick start are `make up` and `make test`.
# Everything they need is created here: .venv from requirements.lock, the buf CLI
# from package-lock.json, generated code from proto/.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BUF := node_modules/.bin/buf
# The proto as last released to member systems: `buf breaking` checks proto/ against it.
PROTO_BASELINE := buf/released.binpb

.PHONY: up test setup browser proto proto-baseline lint lint-proto check-generated bench mutants chaos clean

# `make up` shows the federation working: simulated member systems (SIMULATED, cases marked 【模拟】)
# submit and handle a light stream of cases; `jjj up` alone starts the federation only.
up: setup
	$(VENV)/bin/jjj up --simulate

# Two workers (pytest-xdist), a test file each at a time: most tests wait on servers they started, so two
# share the two cores well (about 9 minutes instead of 14-15). `.venv/bin/pytest` alone runs serially.
test: setup browser lint lint-proto check-generated
	$(VENV)/bin/pytest -n 2 --dist loadfile --no-loadscope-reorder

# The console's browser tests drive Debian's chromium through Playwright (never a downloaded
# browser); a CJK font so that its screenshots show the Chinese labels.
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@fc-list :lang=zh 2>/dev/null | grep -q . || apt-get install -y fonts-wqy-microhei

setup: $(STAMP) proto

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(BUF): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

proto: $(STAMP)
	$(PY) tools/genproto.py

# ruff for errors; lint-imports for the layer rule in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# buf lint, and buf breaking (rules in buf.yaml: FILE, the strictest, since member systems
# generate code from these files and read their JSON): a change that would break a member
# system fails the build.
lint-proto: $(BUF)
	$(BUF) lint
	$(BUF) breaking --against $(PROTO_BASELINE)

# On a release, and only then: `make proto-baseline` and commit buf/released.binpb with
# the release; later changes are checked against what was released. Moving the baseline
# in any other commit waves a break through: review it as one.
proto-baseline: $(BUF)
	$(BUF) build --exclude-source-info -o $(PROTO_BASELINE)

# Generated code is committed: regenerating must not change it.
check-generated: proto
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  if [ -n "$$(git status --porcelain -- jjj)" ]; then \
	    echo "generated code under jjj/ differs from proto/: run 'make proto' and commit" >&2; \
	    git status --porcelain -- jjj >&2; exit 1; \
	  fi; \
	fi

# BENCH_ARGS: e.g. --quick, --skip-mapping, --history 20000 (the full run loads 100,000 cases between
# its two flat-cost probes: about 20 minutes of it on two cores at today's ~95 referrals/s).
BENCH_ARGS ?=
bench: setup
	$(PY) -m benchmarks $(BENCH_ARGS)

# Mutation testing of kernel/domain and kernel/normalize against tests/kernel ([tool.mutmut]
# in pyproject.toml); not part of `make test`. A fresh run each time (mutmut's cache would
# keep verdicts from before a test changed); about 8 minutes on two shared cores.
MUTANTS_FAIL_UNDER ?= 90
mutants: setup
	rm -rf mutants
	nice -n 10 $(VENV)/bin/mutmut run --max-children 2
	$(PY) tools/mutation_report.py --fail-under $(MUTANTS_FAIL_UNDER)

clean:
	rm -rf $(VENV) node_modules var mutants

# The fault-injection suite at full size (tests/faults: 10,000 referrals per fault, 50,000 waiting in a
# stalled inbox, the bus unreachable 30 s, 400 stream cancellations); rewrites the "Fault-injection
# results" section of docs/RELIABILITY.md. `make test` runs the same cases small. Long: an hour or more
# on 2 cores. Evidence of the last run (ids, the federation's log) is kept under var/faults/.
CHAOS_REFERRALS ?= 10000
chaos: setup
	JJJ_FAULT_REFERRALS=$(CHAOS_REFERRALS) JJJ_FAULT_STALLED=50000 JJJ_FAULT_OUTAGE_SECONDS=30 \
	JJJ_FAULT_CANCELLATIONS=400 JJJ_FAULT_SLOW_READ_SECONDS=60 JJJ_FAULT_TIMEOUT=0 JJJ_FAULT_SETTLE_SECONDS_PER_REFERRAL=0.1 \
	JJJ_FAULT_REPORT=docs/RELIABILITY.md $(VENV)/bin/pytest tests/faults -p no:randomly -o timeout=0 -rA
