# The two commands of the README, plus helpers. Both create .venv when it is missing and install d_cat with its
# dev extra under constraints.txt (exact pins for this machine; pyproject.toml stays unpinned for Colab).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo study test sync readme docs bench install pages

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing d_cat[dev] into $(VENV) under constraints.txt (a few minutes on a fresh machine)..."
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]" 2>&1 | { grep -v '^WARNING: Location' || true; }
	@touch $(STAMP)

install: $(STAMP)

## The main job: the flagship experiment on real smartwatch IMU data, at the settings the study chose (see README)
demo: $(STAMP)
	$(BIN)/dcat-experiment --dataset watch_imu --splits id,ood --seeds 5 --epochs 15 --workers 2 \
		--settings results/study --out results/flagship

## The study of "Does D-CAT work?": every offline dataset, every method tuned on validation, 5 seeds (see README)
study: $(STAMP)
	$(BIN)/dcat-study --out results/study --workers 2

## Every test: notebooks, pytest, docs, and notebook/library sync; ends with `N passed, N failed`
test: $(STAMP)
	$(BIN)/python tools/check.py

## The tutorials' full runs: what their pages show (nbs/tutorials/data/*.json + stored outputs); JOBS at once, one
## thread each; ARGS="--fresh" recomputes all, ARGS="12 13" runs those two (see tools/full_runs.py)
JOBS ?= 2
pages: $(STAMP)
	$(BIN)/python tools/full_runs.py --jobs $(JOBS) $(ARGS)

## After editing notebooks: export the library, clean the notebooks, regenerate README.md
sync: $(STAMP)
	$(BIN)/nbdev-export
	$(BIN)/nbdev-clean
	$(BIN)/python tools/docs.py readme

readme: $(STAMP)
	$(BIN)/python tools/docs.py readme

docs: $(STAMP)
	$(BIN)/python tools/docs.py all
