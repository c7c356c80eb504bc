# The front door: `make demo` builds the example blog (and trains a tiny GPT on it);
# `make test` lints, type-checks and runs every test. Both set up .venv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch is installed first so that nothing pulls a multi-GB CUDA build;
# override with e.g. `make TORCH=torch test` on a machine with a GPU.
TORCH ?= torch==2.13.0
PYTEST_WORKERS ?= 2

.PHONY: setup demo demo-blog demo-gpt test lint format clean

setup: $(VENV)/.installed

$(VENV)/.installed: foldpress/pyproject.toml scratchgpt/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e "foldpress[test]" -e "scratchgpt[test]" ruff
	touch $@

# The model first: the blog's attention posts show its weights.
demo: demo-gpt demo-blog

demo-blog: setup
	$(BIN)/foldpress build examples/site
	@echo "Built examples/site/_site. See it with: $(BIN)/foldpress serve examples/site"

demo-gpt: setup
	scripts/demo_gpt.sh $(BIN)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) foldpress
	$(BIN)/pytest -n $(PYTEST_WORKERS) scratchgpt

clean:
	rm -rf $(VENV) examples/site/_site examples/site/.foldpress-cache runs test-artifacts
