# Two commands for a newcomer: `make demo` and `make test`. Both install what is missing first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)
SYSTEM_PACKAGES := libsqlite3-dev libssl-dev
DEMO_DIR := demo
GENLEDGER = .build/release/genledger

.PHONY: deps build release test demo bench format clean

## Install the system libraries the package links against, when absent.
deps:
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product genledger

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## A small ledger from the shipped sample: append, verify, checkpoint, prove, export, verify offline.
demo: release
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@export GENLEDGER_LEDGER=$(DEMO_DIR)/genledger.db; \
	set -e; \
	echo "== genledger init"; $(GENLEDGER) init --origin demo.genledger.local/spring; \
	echo; echo "== genledger append --file docs/examples/sample-events.jsonl"; \
	$(GENLEDGER) append --file docs/examples/sample-events.jsonl; \
	echo; echo "== genledger log"; $(GENLEDGER) log; \
	echo; echo "== genledger checkpoint"; $(GENLEDGER) checkpoint; \
	echo; echo "== genledger verify"; $(GENLEDGER) verify; \
	echo; echo "== genledger prove inclusion 4 (the generation request)"; \
	$(GENLEDGER) prove inclusion 4 | tee $(DEMO_DIR)/proof-4.json; \
	$(GENLEDGER) checkpoint --latest > $(DEMO_DIR)/checkpoint.txt; \
	$(GENLEDGER) verify-proof $(DEMO_DIR)/proof-4.json --checkpoint $(DEMO_DIR)/checkpoint.txt --key "$$($(GENLEDGER) key list | head -1)"; \
	echo; echo "== genledger export, then verify the export with no database"; \
	$(GENLEDGER) export --out $(DEMO_DIR)/export.jsonl; \
	$(GENLEDGER) verify --export $(DEMO_DIR)/export.jsonl --checkpoint $(DEMO_DIR)/export.jsonl.checkpoint --key "$$($(GENLEDGER) key list | head -1)"; \
	echo; echo "The demo ledger is $(DEMO_DIR)/genledger.db; try: GENLEDGER_LEDGER=$(DEMO_DIR)/genledger.db $(GENLEDGER) log --json"

## Speed and memory against same-run baselines (see docs/BENCHMARKS.md).
bench: deps
	cd Benchmarks && $(SWIFT) run -c release ledger-bench $(BENCH_ARGS)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks/Sources

clean:
	rm -rf .build $(DEMO_DIR)
