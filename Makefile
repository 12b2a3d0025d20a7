# carehub: `make run` serves the API, `make test` runs every check, `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

moto_port ?= 5000

.PHONY: moto run test bench bench-http bench-events bench-scheduling bench-documents bench-dynamodb bench-coldstart bench-timeline bench-search bench-fhir lint typecheck lint-imports lint-docker lint-template lambda-package aws-local unit install lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/carehub db upgrade
	$(BIN)/carehub serve

# A local stand-in for DynamoDB, S3, SNS and SQS: moto with DynamoDB's transaction
# isolation, as the tests run it (tests/support/moto_process.py).
moto: $(STAMP)
	$(BIN)/python -m tests.support.moto_process --port $(moto_port)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

lint-imports: $(STAMP)
	$(BIN)/lint-imports

# The image's Dockerfile, by hadolint's rules (.hadolint.yaml names any rule ignored).
lint-docker: $(STAMP)
	$(BIN)/hadolint --config .hadolint.yaml deploy/docker/Dockerfile

# The AWS SAM template (deploy/aws/): CloudFormation's and SAM's schemas, and AWS's rules.
lint-template: $(STAMP)
	$(BIN)/cfn-lint deploy/aws/template.yaml

# The SAM template on a moto server: its resources made from the template, each function in a
# container process of its own, the README's walkthrough driven through them with the event
# shapes AWS sends (tests/deploy/aws_local.py); also part of `make test`.
aws-local: $(STAMP)
	$(BIN)/pytest -q -p no:randomly tests/deploy/test_aws_local.py

unit: $(STAMP)
	$(BIN)/pytest -q --durations=30

test: lint typecheck lint-imports lint-docker lint-template unit

# What `sam build` packages (CodeUri in deploy/aws/template.yaml): carehub and its
# dependencies as Lambda's arm64 Python 3.11 runs them. That runtime is Amazon Linux 2
# (glibc 2.26), and several locked versions (Pillow 13, pillow-heif, argon2-cffi-bindings)
# ship wheels for newer glibc only, so pip picks the newest versions built for it. No
# bytecode: it would double the package, which Lambda caps at 250 MB unzipped.
lambda_dir := build/lambda
lambda-package: $(STAMP)
	rm -rf $(lambda_dir)
	$(BIN)/pip install --quiet --no-compile --target $(lambda_dir) \
		--platform manylinux2014_aarch64 --implementation cp --python-version 3.11 \
		--only-binary=:all: .

bench: bench-http bench-events bench-scheduling bench-documents bench-dynamodb bench-coldstart bench-timeline bench-search bench-fhir

bench-http: $(STAMP)
	$(BIN)/python -m bench.http_bench

bench-events: $(STAMP)
	$(BIN)/python -m bench.event_bench

bench-scheduling: $(STAMP)
	$(BIN)/python -m bench.scheduling_bench

bench-documents: $(STAMP)
	$(BIN)/python -m bench.documents_bench

# On a local moto server: latencies are local only; the capacity units carry over to AWS.
bench-dynamodb: $(STAMP)
	$(BIN)/python -m bench.dynamodb_bench

# A fresh process imports the Lambda API handler and serves its first request (moto).
bench-coldstart: $(STAMP)
	$(BIN)/python -m bench.coldstart_bench

# The first page of a 5,000-entry timeline: p95 on SQLite (and PostgreSQL with
# CAREHUB_BENCH_DATABASE_URL), and the page Query's read units on DynamoDB (moto).
bench-timeline: $(STAMP)
	$(BIN)/python -m bench.timeline_bench

# Search at 1,000,000 patients (typos, cold and warm, 1 and 16 clients) on SQLite and
# PostgreSQL, items per search on DynamoDB (moto), and cached against uncached reads.
bench-search: $(STAMP)
	$(BIN)/python -m bench.search_bench

# A FHIR Patient read against the native read (1 and 16 clients, same server) on SQLite
# and PostgreSQL, and the Synthea import's resources/s on each store (DynamoDB on moto).
bench-fhir: $(STAMP)
	$(BIN)/python -m bench.fhir_bench

# Re-resolve the locked versions from pyproject.toml (run after changing dependencies).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^carehub' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .carehub bench/results
