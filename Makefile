# Two entry points: `make run` (practise in the terminal) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/prepbot console

test: lint
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/prepbot content validate

bench: $(VENV)/.installed
	$(BIN)/python bench/answers.py
	$(BIN)/python bench/ranks.py
	$(BIN)/python bench/posts.py
	$(BIN)/python bench/pictures.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV)
