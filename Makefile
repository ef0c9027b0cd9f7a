# The two commands of the README: `make demo` (the dev server with the dashboard) and `make test`.
# Both run scripts/setup.sh first, which installs what is missing and is quick when nothing is.
# Internal targets (prefixed with _) run after setup, in a sub-make that sees its results.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export RUSTUP_TOOLCHAIN := $(shell cat .toolchain 2>/dev/null)

DEMO_LISTEN ?= 127.0.0.1:4200
DEMO_DB ?= data/prefect.sqlite

.PHONY: setup build demo test reliability bench audit soak clean _build _demo _test

setup:
	@bash scripts/setup.sh

build: setup
	@$(MAKE) --no-print-directory _build

demo: setup
	@$(MAKE) --no-print-directory _demo

test: setup
	@$(MAKE) --no-print-directory _test

reliability: setup
	@$(MAKE) --no-print-directory _build
	@bash scripts/test.sh reliability

bench: setup
	@$(MAKE) --no-print-directory _build
	@bash bench/run.sh

# Lighthouse on the demo dashboard (mobile and desktop) against a dev server it starts itself.
audit: setup
	@$(MAKE) --no-print-directory _build
	@node scripts/audit.mjs

soak: setup
	@$(MAKE) --no-print-directory _build
	@bash tests/soak/run.sh

_build:
	@bash scripts/build-pkg.sh
	@cargo build --quiet -p prefect-dev-server

# Real Prefect 1.4.1 flows and agent where .venv/prefect1 exists, else (or with SIMULATE=1) --simulate.
_demo: _build
	@DEMO_LISTEN=$(DEMO_LISTEN) DEMO_DB=$(DEMO_DB) SIMULATE=$(SIMULATE) bash scripts/demo.sh

_test:
	@bash scripts/test.sh

clean:
	cargo clean
	rm -rf pkg artifacts bench/out
