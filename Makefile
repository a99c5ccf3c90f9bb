# The README's two commands are `make run` and `make test`; the rest are the habitual checks.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: bootstrap run test check lint typecheck pytest package package-selftest

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	@bash scripts/run-app.sh

test: bootstrap check pytest package-selftest

check: lint typecheck

lint:
	$(VENV)/bin/ruff check avatar_desktop tests scripts packaging
	$(VENV)/bin/ruff format --check avatar_desktop tests scripts packaging
	$(VENV)/bin/lint-imports

typecheck:
	$(VENV)/bin/mypy

pytest:
	bash scripts/run-tests.sh

package: bootstrap
	$(PY) packaging/build.py

package-selftest:
	bash scripts/package-selftest.sh
