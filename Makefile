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

## The main job on an embedded default: publish policies/, simulate two quarters of campaign work
## (3000 deliverables) through the gate, checkpoint, verify, and show where to look further.
DEMO_DELIVERABLES ?= 3000
demo: release
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@export GENLEDGER_LEDGER=$(DEMO_DIR)/genledger.db; \
	set -e; \
	echo "== genledger init"; $(GENLEDGER) init --origin demo.genledger.local/studio; \
	echo; echo "== genledger policy check && genledger policy publish"; \
	$(GENLEDGER) policy check; $(GENLEDGER) policy publish | tail -3; \
	echo; echo "== genledger simulate --seed 42 --deliverables $(DEMO_DELIVERABLES) --months 6 (2026-Q2 and Q3)"; \
	$(GENLEDGER) simulate --seed 42 --deliverables $(DEMO_DELIVERABLES) --months 6 2>/dev/null; \
	echo; echo "== genledger checkpoint"; $(GENLEDGER) checkpoint; \
	echo; echo "== genledger verify"; $(GENLEDGER) verify; \
	echo; echo "== the first denial the gate recorded (genledger log --type policy.denied --limit 1)"; \
	$(GENLEDGER) log --type policy.denied --limit 1; \
	echo; echo "== a new delivery deliverable: where would it go? (genledger append, genledger route)"; \
	echo '{"type":"deliverable.opened","stream":"deliverable/D-DEMO","payload":{"deliverable":"D-DEMO","category":"hero-video","stage":"delivery","modality":"text-to-video","duration_seconds":30,"platforms":[{"platform":"youtube","aspect_ratio":"16:9"}]}}' | $(GENLEDGER) append; \
	echo '{"deliverable":"D-DEMO"}' | $(GENLEDGER) route --dry-run; \
	echo '{"deliverable":"D-DEMO"}' | $(GENLEDGER) route --json > $(DEMO_DIR)/decision.json; \
	DECISION=$$(sed 's/.*"decision":"\([^"]*\)".*/\1/' $(DEMO_DIR)/decision.json); \
	echo; echo "== would a budget-tier (draft) model be allowed on it? (genledger gate check)"; \
	echo "{\"type\":\"generation.requested\",\"stream\":\"deliverable/D-DEMO\",\"payload\":{\"deliverable\":\"D-DEMO\",\"generation\":\"G-DEMO\",\"attempt\":1,\"model\":\"hailuo-02\",\"model_version\":\"02-768p\",\"template\":\"tpl-hero-video\",\"template_version\":2,\"seed\":1,\"parameters\":{\"aspect_ratio\":\"16:9\",\"duration_seconds\":30},\"routing_decision\":\"$$DECISION\"}}" \
	  | $(GENLEDGER) gate check || echo "(exit $$?: would be denied; nothing was appended)"; \
	echo; echo "Look further (GENLEDGER_LEDGER=$(DEMO_DIR)/genledger.db):"; \
	echo "  $(GENLEDGER) log --stream deliverable/D-000001      one deliverable's whole story"; \
	echo "  $(GENLEDGER) log --type routing.table_published     routing versions in force"; \
	echo "  $(GENLEDGER) prove inclusion SEQ                     prove any event against a checkpoint"; \
	echo "  $(GENLEDGER) export --out $(DEMO_DIR)/export.jsonl  an export anyone can verify (docs/FORMAT.md)"

## Speed and memory against same-run baselines (see docs/BENCHMARKS.md).
bench: deps
	cd Benchmarks && $(SWIFT) run -c release ledger-bench $(BENCH_ARGS)
	cd Benchmarks && $(SWIFT) run -c release gate-bench $(GATE_BENCH_ARGS)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks/Sources

clean:
	rm -rf .build $(DEMO_DIR)
