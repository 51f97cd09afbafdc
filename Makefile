# movie-lattice: the project's commands. Every other entry point (CI, docs, benchmarks) calls these.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help up down reset test bench soak fuzz install build lint fmt status logs screenshots rotate-db-secret

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

up: ## install what is missing, build, start the lattice, deploy the app, print the URL (HOSTS=N: a cluster)
	@scripts/up.sh

down: ## stop every process `make up` started (data is kept)
	@scripts/down.sh

test: ## run every test: lint, unit, component and end-to-end (starts what it needs)
	@scripts/test.sh

bench: ## measure the lattice next to the native baseline; writes bench/RESULTS.md
	@scripts/bench.sh $(ARGS)

soak: ## faults at random under load on the cluster for DURATION (60m; FAULT_EVERY=90s); writes bench/SOAK.md
	@scripts/soak.sh

fuzz: ## schemathesis with every check and a fresh seed against the running API (EXAMPLES=1000, SEED=N)
	@scripts/fuzz.sh

install: ## install the toolchain and services only (apt, rustup target, nats-server, Tansu)
	@scripts/install.sh

build: ## build the lattice binaries (host, wadm, wash), the providers and the components
	@scripts/build.sh

lint: ## cargo fmt --check and clippy -D warnings
	@scripts/lint.sh

status: ## show the processes, Prometheus's targets and alerts, the hosts and the app
	@scripts/status.sh

rotate-db-secret: ## a new password for the database role: in the secrets backend, in Postgres, then each Postgres provider restarts with it (needs make up)
	@scripts/secrets.sh rotate

screenshots: ## take the README's pictures of the trace UI and Prometheus (needs make up)
	@scripts/screenshots.sh

reset: ## make down, then forget the lattice's state (JetStream: wadm's apps, links, config); data is kept
	@scripts/down.sh && rm -rf .lattice/jetstream .lattice/nats && echo "lattice state cleared; make up deploys wadm.yaml afresh"
