# The two commands of the README: `make serve` and `make test`. Both install what they need first.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# torch is pinned: this version's CPU wheel is what the install expects (see README).
TORCH_SPEC := torch==2.13.0
TORCH_PIP_ARGS ?=

.PHONY: install serve index test test-fast
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

index: install
	$(BIN)/groundqa index --quiet

serve: index
	$(BIN)/groundqa serve

test: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

test-fast: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m 'not slow' -n 2
