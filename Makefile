# The two commands of the README: `make up` and `make test`. Both install
# missing Debian packages (root or sudo) and deploy/'s npm packages, and
# build first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps build up down logs status test test-unit test-integration test-e2e test-browser test-deploy clean format

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS)

up: build
	BIN_DIR=$(CURDIR)/$(BUILD_DIR)/bin ./scripts/stack.sh up

down:
	./scripts/stack.sh down

logs:
	./scripts/stack.sh logs

status:
	./scripts/stack.sh status

# Every suite; tests that need PostgreSQL share one server that a ctest
# fixture starts and stops.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300 $(CTEST_ARGS)

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

test-integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L integration

test-e2e: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L e2e

# The dashboard in headless Chromium against a real stack; screenshots in
# $(BUILD_DIR)/test-artifacts/dashboard.
test-browser: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L browser

test-deploy: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L deploy

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)

# Load and ceilings on a private stack (ports of its own, state in
# .data/bench); writes bench/results/latest.{json,md}. Longer runs:
# make bench BENCH_SECONDS=60.
.PHONY: bench bench-analytics
bench: build
	BIN_DIR=$(CURDIR)/$(BUILD_DIR)/bin ./bench/run.sh

# Analytics query latency at growing sizes against the full-scan baseline,
# on a private PostgreSQL; writes bench/results/analytics.{json,md}.
# Smaller runs: make bench-analytics ANALYTICS_SIZES=100000,1000000.
ANALYTICS_SIZES ?= 100000,1000000,10000000
bench-analytics: build
	BIN_DIR=$(CURDIR)/$(BUILD_DIR)/bin ANALYTICS_SIZES=$(ANALYTICS_SIZES) ./bench/run.sh analytics
