# ringlog: `make demo` runs a real sync against the bundled RingCentral simulator;
# `make test` runs the whole suite. Both install what they need first (see scripts/ensure-deps.sh).
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: all deps build release test demo clean

all: build

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The governor suite measures pacing in real time, and the in-process simulator needs the cooperative
# thread pool the parallel suites keep busy: both run alone, after everything else.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip GovernorTests --skip InProcessSimulatorTests
	RINGLOG_ISOLATED_TIMING=1 $(SWIFT) test --filter "GovernorTests|InProcessSimulatorTests"

demo: deps
	@scripts/demo.sh

clean:
	rm -rf .build demo-archive
