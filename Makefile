# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit bench clean compose-test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,agents]'
	touch $(STAMP)

# A representative subset of the incident library, naive and hardened; prints the suite index.
DEMO_SCENARIOS ?= scenarios/runaway-loop.yaml scenarios/claude-api-hiccup.yaml scenarios/poisoned-kb.yaml scenarios/the-47k-bill.yaml
DEMO_SCALE ?= 0.5

demo: $(STAMP)
	$(BIN)/harness run $(DEMO_SCENARIOS) --profile all --time-scale $(DEMO_SCALE) --out reports/demo

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	$(BIN)/pytest -p no:cacheprovider -n 2 --timeout 300 tests
	$(BIN)/pytest -p no:cacheprovider --timeout 600 scenarios/ --harness-time-scale 0.25 --harness-out reports/ci

# The compose stack for real, without an image registry (as root; see docs/compose.md).
compose-test: $(STAMP)
	HARNESS_PYTHON=$(abspath $(BIN))/python bash deploy/compose-test.sh

bench: $(STAMP)
	for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
