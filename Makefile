# Two commands for a new user: `make run` (the standard study) and `make test` (the whole suite).
# Both create .venv with a Python >= 3.12 if it is missing and install the project with its dev extra.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STUDY_OUT ?= results/standard_study

.PHONY: run test venv clean-venv

# Find a Python >= 3.12: an explicit $(PYTHON), pyenv's 3.12 (.python-version), then python3.13/3.12/python3.
$(PY):
	@set -e; cand=""; \
	for p in "$(PYTHON)" "$$(command -v pyenv >/dev/null 2>&1 && pyenv which python3.12 2>/dev/null)" python3.13 python3.12 python3; do \
	  [ -n "$$p" ] || continue; command -v "$$p" >/dev/null 2>&1 || continue; \
	  if "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then cand="$$p"; break; fi; \
	done; \
	if [ -z "$$cand" ]; then echo "pkosim needs Python >= 3.12 and none was found (tried python3.13, python3.12, python3). Install one, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$("$$cand" -c 'import sys; print(sys.executable, sys.version.split()[0])')"; \
	"$$cand" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/pkosim study --out $(STUDY_OUT)

test: $(STAMP)
	$(PY) -m pytest -q

clean-venv:
	rm -rf $(VENV)
