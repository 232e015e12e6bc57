# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-compiled fuzz lint typecheck clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make demo ARGS=--serve` keeps the engine up afterwards; `ARGS=--help` lists the options.
demo: $(STAMP)
	$(BIN)/python -m siem_cli.demo $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy ingest normalizers enrichment html_pages opensearch_client opensearch_assets demo infra detections investigation posture siem_cli scripts
	$(BIN)/python -m pytest -n 2 -q

# The docs' screenshots (docs/images/): the demo's investigation and month report in headless
# Chromium (Debian's chromium package), from the pages `make demo` leaves in build/demo/.
CHROMIUM ?= chromium
SHOOT := $(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=build/chromium-profile
screenshots: $(STAMP)
	mkdir -p build docs/images
	$(BIN)/python -m siem_cli.demo --out build/demo > build/demo.log
	$(SHOOT) --window-size=1100,2050 --screenshot=docs/images/demo-investigation.png build/demo/investigation.html
	$(SHOOT) --window-size=1100,2300 --screenshot=docs/images/demo-report.png build/demo/report/report-*.html

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# On demand, not in `make test` nor CI: the CloudTrail bulk path with the normalizers compiled by
# mypyc (in a temporary directory) against the pure path; `ARGS=--help` lists the options.
bench-compiled: $(STAMP)
	$(BIN)/python -m benchmarks.compiled $(ARGS)

# The long fuzzing profile (tests/fuzz): thousands of random examples per source and container.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n 2 -q tests/fuzz

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy ingest normalizers enrichment html_pages opensearch_client opensearch_assets demo infra detections investigation posture siem_cli scripts

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache cdk.out
