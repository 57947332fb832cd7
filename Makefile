# Tidegate: the two commands of the README.
#   make run   - build (release) and run on examples/quickstart.cfg
#   make test  - the whole test suite (unit + end-to-end against the real binary)

SWIFT ?= swift
SYSTEM_PACKAGES ?= curl liblua5.4-dev pkg-config python3-dev haproxy
CONFIG ?= examples/quickstart.cfg
# How many tests run at once. Unbounded, every end-to-end test starts its processes at the same moment and the
# timing checks of the light ones compete with the 100 MB transfers on two cores.
TEST_WIDTH ?= 16

.PHONY: run test deps build build-debug unit e2e bench clean

deps:
	@scripts/install-deps.sh $(SYSTEM_PACKAGES)

build: deps
	$(SWIFT) build -c release --product tidegate

build-debug: deps
	$(SWIFT) build --build-tests

run: build
	@echo "Tidegate on $(CONFIG): try  curl -i http://127.0.0.1:8080/  (Ctrl-C to stop)"
	.build/release/tidegate -f $(CONFIG)

test: build-debug
	TIDEGATE_BIN=$$($(SWIFT) build --show-bin-path)/tidegate \
	TIDEGATE_SPOA_BIN=$$($(SWIFT) build --show-bin-path)/tidegate-spoa \
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test --skip-build

bench: deps
	bench/proxy-bench.sh

clean:
	rm -rf .build
