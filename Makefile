# The user's interface. Every target that needs the environment builds it first.
# Paths are the repository's, so `make -f path/to/Makefile study ...` works from any folder
# (the study's mlruns.db, optuna.db and .atlas/ land in that folder).
ROOT   := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV   ?= $(ROOT)/.venv
PY     := $(VENV)/bin/python
# torch/torchvision pairs that import together; on this project's machines these two lie on
# local disk (a pip constraint caps torch there). Override for another platform.
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed

.PHONY: install test test-fast lint zoo study report ui dashboard clean

install: $(STAMP)

$(STAMP): $(ROOT)/pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PINS)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '$(ROOT)[dev]'
	@[ -d /usr/share/datasets/fashion-mnist ] || ! command -v apt-get >/dev/null || [ "$$(id -u)" != 0 ] || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; } || echo "note: apt-get could not install dataset-fashion-mnist (README: Trainers)"; }
	touch $@

test: $(STAMP)
	$(PY) -m pytest -q --durations=25

test-fast: $(STAMP)  ## skips the tests marked slow
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

zoo: $(STAMP)  ## every preset: params, MACs, activations -> reports/zoo.{csv,md}
	$(PY) -m search_space.zoo --out reports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

.PHONY: bench
bench: $(STAMP)  ## the trainer vs a usual DataLoader loop (images/s, ratio); MobileNetV2's row; a study vs its trials in one process
	$(PY) -m trainers.bench
	$(PY) -m trainers.bench --net mobilenet_v2_cifar --width-mult 0.35 --stem mobilenet_v2 --batch-size 64 --no-neighbour
	$(PY) -m studies.bench

name   ?=
budget ?= auto
port   ?= 5000
# A value as one shell word, never run: 'it'\''s' (make's variables come from the command line,
# so `name=x;touch PWNED` must reach the program as a name, not the shell as a command).
quote = '$(subst ','\'',$(1))'
study: $(STAMP)  ## make study name=NAME [budget=auto|quick|full|NAME] [set="epochs=2 seeds=3"] [fresh=1]
	@if [ -z $(call quote,$(name)) ]; then echo "error: make study name=NAME [budget=quick|full]; \
	the studies are: $$($(PY) -c 'import studies; print(" ".join(sorted(studies.STUDIES)))')" >&2; \
	exit 2; fi
	$(PY) -m studies run $(call quote,$(name)) --budget $(call quote,$(budget)) \
	  $(foreach s,$(set),--set $(call quote,$(s))) $(if $(fresh),--fresh)

report: $(STAMP)  ## make report name=NAME [condition=KEY|all]: reports/NAME/report.md + PNGs, logged to MLflow
	@if [ -z $(call quote,$(name)) ]; then echo "error: make report name=NAME" >&2; exit 2; fi
	$(PY) -m analysis report $(call quote,$(name)) \
	  $(if $(condition),--condition $(call quote,$(condition)))

dashboard: $(STAMP)  ## make dashboard name=SEARCH [port=8080]: Optuna's dashboard on the search's Optuna store
	@if [ -z $(call quote,$(name)) ]; then echo "error: make dashboard name=SEARCH [port=8080]" >&2; \
	exit 2; fi
	$(PY) -m studies dashboard $(call quote,$(name)) \
	  --port $(call quote,$(if $(filter command line environment,$(origin port)),$(port),8080))

ui: $(STAMP)  ## the MLflow UI on the studies' store, http://127.0.0.1:$(port)
	@$(PY) -m studies links --port $(call quote,$(port))
	$(VENV)/bin/mlflow ui --backend-store-uri "$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlruns.db}" \
	  --default-artifact-root "$(CURDIR)/mlartifacts" --host 127.0.0.1 --port $(call quote,$(port))
