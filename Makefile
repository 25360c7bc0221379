# Conclave developer entry points. Every target runs on Node.js 24 and npm 11 (bootstrapped from
# the npm registry into the cache when the system's are older; scripts/ensure-node.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
export TURBO_TELEMETRY_DISABLED := 1
export CHECKPOINT_DISABLE := 1
export PRISMA_HIDE_UPDATE_MESSAGE := 1
# `prisma generate` needs no schema engine, but the CLI insists on finding one; migrations are
# applied by services/api/src/db/migrate.ts instead.
export PRISMA_SCHEMA_ENGINE_BINARY ?= /bin/true
# Where scripts/build-mediasoup-worker.sh puts the worker. Always set, even before the worker is
# built: mediasoup's postinstall then skips its prebuilt download and its meson build, both of
# which need the internet. The worker comes from the build script only.
MEDIASOUP_WORKER_BIN ?= $(shell echo "$${CONCLAVE_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/conclave}")/mediasoup-worker-3.12.16-srtp-openssl/mediasoup-worker
export MEDIASOUP_WORKER_BIN
export CHROMIUM_PATH ?= /usr/bin/chromium
# Where the test suites get PostgreSQL and Redis: `containers` (when a Docker engine answers) gives
# each suite its own pair through testcontainers (scripts/test-services.mjs); `local` starts one
# pair on loopback ports for every suite (scripts/test-infra.sh), for machines without Docker.
CONCLAVE_TEST_INFRA ?= $(shell docker info >/dev/null 2>&1 && echo containers || echo local)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: install
install: node_modules/.package-lock.json generate ## Install npm dependencies and generate the Prisma client

.PHONY: generate
generate: node_modules/.package-lock.json
	cd services/api && npx prisma generate >/dev/null

.PHONY: system-deps
system-deps: ## Install the Debian packages tests need (PostgreSQL, Redis, Chromium, Firefox ESR, worker build deps)
	scripts/install-system-deps.sh

.PHONY: worker
worker: system-deps ## Build the mediasoup worker from source (cached outside the clone)
	scripts/build-mediasoup-worker.sh >/dev/null

.PHONY: dev
dev: system-deps install worker ## Run the whole stack on this machine with embedded storage (no PostgreSQL or Redis)
	npm run --silent build -w @conclave/web
	MEDIASOUP_WORKER_BIN=$$(scripts/build-mediasoup-worker.sh) CONCLAVE_WEB_ROOT=$${CONCLAVE_WEB_ROOT:-services/web/dist} \
	  node services/embedded/src/main.ts

.PHONY: test
test: system-deps install worker ## Run every test suite against real PostgreSQL, Redis, mediasoup and Chromium
	@export MEDIASOUP_WORKER_BIN=$$(scripts/build-mediasoup-worker.sh); \
	echo "test services: $(CONCLAVE_TEST_INFRA)"; \
	if [ "$(CONCLAVE_TEST_INFRA)" = local ]; then \
	  env_file=$$(scripts/test-infra.sh start); source "$$env_file"; trap 'scripts/test-infra.sh stop' EXIT; \
	fi; \
	scripts/run-tests.sh

.PHONY: bench
bench: system-deps install worker ## Run the benchmarks and print numbers with ratios to in-run baselines
	@env_file=$$(scripts/test-infra.sh start); \
	source "$$env_file"; \
	export MEDIASOUP_WORKER_BIN=$$(scripts/build-mediasoup-worker.sh); \
	trap 'scripts/test-infra.sh stop' EXIT; \
	npx turbo run bench --concurrency=1 --env-mode=loose --log-prefix=none

.PHONY: typecheck
typecheck: install ## Type-check every workspace
	npx turbo run typecheck --env-mode=loose

.PHONY: lint
lint: install ## Lint and check formatting; no import cycles, no file over 400 lines without a reason
	npx biome check .
	scripts/check-structure.sh

.PHONY: check
check: lint typecheck test ## Everything CI runs

# Deployment

.PHONY: secrets
secrets: ## Generate deployment secrets into deploy/compose/secrets/ (kept if present)
	scripts/gen-secrets.sh

.PHONY: tools
tools: ## Build/install helm, compose-check and kubernetes-validate (cached outside the clone)
	scripts/install-tools.sh >/dev/null

.PHONY: images
images: ## Build the four container images (needs a Docker engine with BuildKit)
	for svc in api mls-ds sfu web; do \
	  docker build -f services/$$svc/Dockerfile -t $${CONCLAVE_IMAGE_PREFIX:-conclave}/$$svc:$${CONCLAVE_VERSION:-latest} . ; \
	done

.PHONY: stack-check
stack-check: install ## Build the images, run compose.yaml for real, a three-browser meeting and the container audit against it
	deploy/stack/check.sh

.PHONY: cluster-check
cluster-check: install tools ## Run the Helm chart on a throwaway Kubernetes cluster: upgrade, helm test, a meeting, the audit, a drain (root)
	deploy/cluster/check.sh

.PHONY: deploy-check
deploy-check: ## Validate compose.yaml, the Helm chart, Dockerfiles and dashboards offline
	deploy/ci-checks.sh

.PHONY: loadtest
loadtest: install worker ## Load-test the embedded stack on loopback (joins, DS and SFU sessions; ~4 min)
	MEDIASOUP_WORKER_BIN=$$(scripts/build-mediasoup-worker.sh) deploy/loadtest/run.sh full

.PHONY: loadtest-smoke
loadtest-smoke: install worker ## Short load test (~30 s) with the same checks and thresholds
	MEDIASOUP_WORKER_BIN=$$(scripts/build-mediasoup-worker.sh) deploy/loadtest/run.sh smoke

.PHONY: loadtest-distributed
loadtest-distributed: system-deps install worker tools ## Smoke load test of API, DS and SFU as separate processes on PostgreSQL and Redis, through Caddy
	MEDIASOUP_WORKER_BIN=$$(scripts/build-mediasoup-worker.sh) deploy/loadtest/run.sh smoke distributed

.PHONY: fuzz
fuzz: install worker ## Fuzz the API (schemathesis), DS and SFU WebSockets and MLS bytes; long mode (FUZZ_SECONDS per target, default 300; FUZZ_MODE=ci for ~2 min)
	FUZZ_MODE=$${FUZZ_MODE:-long} fuzz/run.sh
