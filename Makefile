# The user's interface. Every target that needs the environment builds it first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch/torchvision pairs that import together; on this project's machines these two lie on
# local disk (a pip constraint caps torch there). Override for another platform.
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast lint zoo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PINS)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)  ## skips the tests marked slow
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

zoo: $(STAMP)  ## every preset: params, MACs, activations -> reports/zoo.{csv,md}
	$(PY) -m search_space.zoo --out reports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
