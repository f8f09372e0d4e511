# Understudy — one command for each job. `make demo` and `make test` work on a fresh machine.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test test-fast test-scaleout check bench review fuzz clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) (Python 3.11)"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: 2.13.0 is a CPU build that pip takes from local disk (unpinned pulls CUDA)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/understudy --home .understudy demo

test: setup
	$(BIN)/python -m pytest -q -m "not scaleout"
	$(BIN)/understudy --home $$(mktemp -d) eval

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser and not scaleout"

test-scaleout: setup
	bash .ci/scaleout.sh

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m evals.bench

review: setup
	$(BIN)/understudy --home .understudy review

fuzz: setup
	UNDERSTUDY_FUZZ_EXAMPLES=5000 $(BIN)/python -m pytest -q tests/reliability -k fuzz

clean:
	rm -rf .understudy .pytest_cache build *.egg-info
