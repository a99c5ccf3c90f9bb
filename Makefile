# The README's two commands are `make run` and `make test`; the rest are the habitual checks.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: bootstrap run test check lint typecheck pytest

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	@bash scripts/run-app.sh

test: bootstrap check pytest

check: lint typecheck

lint:
	$(VENV)/bin/ruff check avatar_desktop tests scripts
	$(VENV)/bin/ruff format --check avatar_desktop tests scripts
	$(VENV)/bin/lint-imports

typecheck:
	$(VENV)/bin/mypy

pytest:
	bash scripts/run-tests.sh
