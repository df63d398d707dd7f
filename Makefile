# simexit: the verbs people need. `make help` lists them.
# uv comes from PyPI; the virtual environment is .venv, built from uv.lock.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# `make run` listens on $(PORT) when given (`make run PORT=9000` or PORT in the environment),
# else on SIMEXIT_PORT, else on 8000 (the setting's default).

.PHONY: help install run test check lint fmt db-upgrade worker bench diagram

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.venv/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed  ## install simexit and its tools into .venv

run: install  ## start simexit: API, portal, console and worker on a SQLite file with demo data
	$(UV) run --frozen simexit serve $(if $(PORT),--port $(PORT))

test: install  ## run every test (PostgreSQL too when SIMEXIT_TEST_DATABASE_URL is set)
	$(UV) run --frozen pytest -n auto --dist loadfile

lint: install  ## static checks: format, lint, types, import contracts
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen ruff check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports

check: lint test  ## what CI runs

fmt: install  ## format and autofix
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

db-upgrade: install  ## apply migrations to SIMEXIT_DATABASE_URL
	$(UV) run --frozen simexit db upgrade

worker: install  ## run a job worker (scaled mode)
	$(UV) run --frozen simexit worker

diagram: install  ## regenerate docs/workflow.md from the transition table
	$(UV) run --frozen simexit cases diagram

bench: install  ## run the benchmarks (prints ratios against in-run baselines)
	$(UV) run --frozen python bench/policy_bench.py
	$(UV) run --frozen python bench/jobs_bench.py
	$(UV) run --frozen python bench/api_bench.py
	$(UV) run --frozen python bench/write_path_bench.py
	$(UV) run --frozen python bench/ceiling_bench.py
