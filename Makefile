# Two commands for a newcomer: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)
# libssl-dev: libcrypto for hashes and signatures, libssl for the requests the ledger makes
# (Sources/OutboundHTTP); libpq-dev: libpq's headers (the library is loaded only for a
# PostgreSQL ledger).
SYSTEM_PACKAGES := libsqlite3-dev libssl-dev libpq-dev
# Statically linked, a one-shot call starts in about half the time (docs/BENCHMARKS.md, issue 20):
# the dynamic loader no longer resolves a dozen Swift libraries at every start.
RELEASE_FLAGS := -c release --static-swift-stdlib
DEMO_DIR := demo
GENLEDGER = .build/release/genledger

# What the tests need beyond the build: a real browser for the web pages, fonts for its
# screenshots, schemathesis and an OpenAPI validator (PyPI) for docs/openapi.yaml, pytest for the
# Python client, jsonschema to check docs/events.schema.json and standardwebhooks to sign
# provider deliveries as a provider would; selenium drives Chromium through Debian's matching chromedriver;
# Go's golang.org/x/mod/sumdb/tlog (Debian) checks the published tiles; cryptography verifies witness
# cosignatures from the spec; mypy (with types-jsonschema) checks the Python client's types;
# c2pa-python (the C2PA SDK) validates Content Credentials and prov parses W3C PROV-JSON;
# PostgreSQL (Debian) runs throwaway clusters for the PostgreSQL store (Tests/Fixtures/postgres/pg-cluster).
# libcurl4-openssl-dev: some tests are HTTP clients through Foundation's URLSession (libcurl).
TEST_PACKAGES := chromium chromium-driver fonts-dejavu-core golang-go golang-golang-x-mod-dev postgresql libcurl4-openssl-dev
TEST_PYTHON_PACKAGES := schemathesis openapi-spec-validator pytest jsonschema standardwebhooks selenium cryptography mypy types-jsonschema c2pa-python prov
TEST_PYTHON_MODULES := schemathesis.cli,openapi_spec_validator,pytest,jsonschema,standardwebhooks,selenium,cryptography,mypy,c2pa,prov
PIP_INSTALL := python3 -m pip install -q --disable-pip-version-check

.PHONY: deps test-deps build release test demo bench fuzz format clean

## Install the Debian packages named in $(1) that are absent.
define install-packages
	@missing=""; \
	for pkg in $(1); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

## Install the system libraries the package links against, when absent.
deps:
	$(call install-packages,$(SYSTEM_PACKAGES))

## Install what the tests use, when absent.
test-deps: deps
	$(call install-packages,$(TEST_PACKAGES))
	@{ python3 -c "import $(TEST_PYTHON_MODULES)" && python3 -m pip show -q types-jsonschema; } >/dev/null 2>&1 || { \
	  echo "installing (PyPI): $(TEST_PYTHON_PACKAGES)"; \
	  $(PIP_INSTALL) $(TEST_PYTHON_PACKAGES) || $(PIP_INSTALL) --user $(TEST_PYTHON_PACKAGES); }
	@# The Python client, as a user installs it (pip install ./clients/python), when it changed.
	@python3 -c "import genledger, sys; sys.exit(genledger.__file__.startswith('$(CURDIR)/clients/python/src') == False)" 2>/dev/null || { \
	  echo "installing (editable): clients/python"; \
	  $(PIP_INSTALL) -e ./clients/python || $(PIP_INSTALL) --user -e ./clients/python; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product genledger

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	cd clients/python && python3 -m pytest -q -p no:cacheprovider tests

## The main job on an embedded default: publish policies/, simulate two quarters of campaign work
## (3000 deliverables) through the gate, checkpoint, verify, and show where to look further.
DEMO_DELIVERABLES ?= 3000
demo: release
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@export GENLEDGER_LEDGER=$(DEMO_DIR)/genledger.db; unset GENLEDGER_KEY_FILE; \
	set -e; \
	echo "== genledger init"; $(GENLEDGER) init --origin demo.genledger.local/studio; \
	echo; echo "== genledger policy check && genledger policy publish --occurred-at 2026-04-01 (in force from the history's start)"; \
	$(GENLEDGER) policy check; $(GENLEDGER) policy publish --occurred-at 2026-04-01 | tail -3; \
	echo; echo "== genledger simulate --seed 42 --deliverables $(DEMO_DELIVERABLES) --months 6 (2026-Q2 and Q3)"; \
	$(GENLEDGER) simulate --seed 42 --deliverables $(DEMO_DELIVERABLES) --months 6 --media $(DEMO_DIR)/media 2>/dev/null; \
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
	echo; echo "== genledger replay --compare-published video@1 --from 2026-08-01 --record (had social shorts stayed on kling-2.5-turbo?)"; \
	mkdir -p $(DEMO_DIR)/reports; \
	$(GENLEDGER) replay --compare-published video@1 --from 2026-08-01 --record --format html --out $(DEMO_DIR)/reports/replay-video-v1-from-2026-08.html; \
	$(GENLEDGER) replay --compare-published video@1 --from 2026-08-01 | sed -n '/^## Summary/,/^## Requests the candidate/p' | grep -v '^## Requests the candidate'; \
	echo; echo "== genledger checkpoint (the reports are stamped with it; explain proves against it)"; \
	$(GENLEDGER) checkpoint | tail -1; \
	echo; echo "== genledger rebuild --check (the projections equal a fresh replay of the log)"; \
	$(GENLEDGER) rebuild --check; \
	echo; echo "== genledger routing current"; $(GENLEDGER) routing current | sed -n '/^## Table video/,$$p'; \
	echo; echo "== genledger report quarterly --quarter 2026-Q2 (its summary: the flags that prompted routing table video v2, totals, small samples, changes)"; \
	$(GENLEDGER) report quarterly --quarter 2026-Q2 | sed -n '/^## Summary/,/^## Per model: outcomes/p' | grep -v '^## Per model'; \
	echo; echo "== genledger report costs --month 2026-09 (where the money went, by cost kind)"; \
	$(GENLEDGER) report costs --month 2026-09 | sed -n '/^## Summary/,/^## Draft vs delivery/p' | grep -v '^## Draft'; \
	echo; echo "== genledger report compliance --from 2026-04-01 --to 2026-09-30 (summary and rules)"; \
	$(GENLEDGER) report compliance --from 2026-04-01 --to 2026-09-30 | sed -n '/^## Summary/,/^## Findings/p' | grep -v '^## Findings' | cut -d'|' -f1-7; \
	echo; echo "== genledger routing history (in the order the versions took effect)"; \
	$(GENLEDGER) routing history | sed -n '/^| table/,/^$$/p' | cut -d'|' -f1-6; \
	mkdir -p $(DEMO_DIR)/reports; \
	$(GENLEDGER) routing current --format html --out $(DEMO_DIR)/reports/routing-current.html; \
	$(GENLEDGER) routing history --format html --out $(DEMO_DIR)/reports/routing-history.html; \
	$(GENLEDGER) routing diff 1 2 --table video --format html --out $(DEMO_DIR)/reports/routing-diff-video-v1-v2.html; \
	$(GENLEDGER) report quarterly --quarter 2026-Q2 --format html --out $(DEMO_DIR)/reports/quarterly-2026-Q2.html; \
	$(GENLEDGER) report quarterly --quarter 2026-Q3 --format html --out $(DEMO_DIR)/reports/quarterly-2026-Q3.html; \
	for m in 04 05 06 07 08 09; do $(GENLEDGER) report costs --month 2026-$$m --format html --out $(DEMO_DIR)/reports/costs-2026-$$m.html; done; \
	$(GENLEDGER) report costs --month 2026-09 --format csv --out $(DEMO_DIR)/reports/costs-2026-09-csv 2>/dev/null; \
	$(GENLEDGER) report compliance --from 2026-04-01 --to 2026-09-30 --format html --out $(DEMO_DIR)/reports/compliance-2026-Q2-Q3.html; \
	CAMPAIGN=$$($(GENLEDGER) log --type campaign.opened --limit 1 --json | sed 's/.*"campaign":"\([^"]*\)".*/\1/'); \
	$(GENLEDGER) report campaign $$CAMPAIGN --format html --out $(DEMO_DIR)/reports/campaign-$$CAMPAIGN.html; \
	ASSET=$$($(GENLEDGER) log --type deliverable.delivered --json | grep -m1 'D-[0-9]*-upscale' | sed 's/.*"asset":"\([^"]*\)".*/\1/'); \
	$(GENLEDGER) explain $$ASSET --format html --out $(DEMO_DIR)/reports/explain-$$ASSET.html; \
	mkdir -p $(DEMO_DIR)/provenance; \
	echo; echo "== genledger provenance: Content Credentials (C2PA), W3C PROV and evidence for a delivered image-to-video clip with an upscale"; \
	$(GENLEDGER) log --type deliverable.opened --json | grep -o '"deliverable":"D-[0-9]*-F"' | sed 's/-F"$$/"/' > $(DEMO_DIR)/provenance/chains; \
	CLIP=$$($(GENLEDGER) log --type deliverable.delivered --json | grep -F -f $(DEMO_DIR)/provenance/chains | grep -m1 -- '-upscale' | sed 's/.*"asset":"\([^"]*\)".*/\1/'); \
	rm $(DEMO_DIR)/provenance/chains; \
	cp $(DEMO_DIR)/media/$$CLIP.png $(DEMO_DIR)/provenance/$$CLIP.png; \
	$(GENLEDGER) provenance --make-test-ca $(DEMO_DIR)/provenance/test-ca >/dev/null; \
	echo "$(GENLEDGER) provenance $$CLIP --file $(DEMO_DIR)/provenance/$$CLIP.png --embed … --c2pa … --prov … --bundle … --cert … --key …"; \
	$(GENLEDGER) provenance $$CLIP --file $(DEMO_DIR)/provenance/$$CLIP.png \
	  --embed $(DEMO_DIR)/provenance/$$CLIP.c2pa.png --c2pa $(DEMO_DIR)/provenance/$$CLIP.c2pa \
	  --prov $(DEMO_DIR)/provenance/$$CLIP.prov.json --bundle $(DEMO_DIR)/provenance/$$CLIP.evidence.json \
	  --cert $(DEMO_DIR)/provenance/test-ca/signer-chain.pem --key $(DEMO_DIR)/provenance/test-ca/signer.key; \
	$(GENLEDGER) verify-bundle $(DEMO_DIR)/provenance/$$CLIP.evidence.json --key "$$($(GENLEDGER) key list | head -1)" --asset $(DEMO_DIR)/provenance/$$CLIP.png; \
	if python3 -c "import c2pa" 2>/dev/null; then python3 clients/python/tools/c2pa_read.py $(DEMO_DIR)/provenance/test-ca/ca.pem $(DEMO_DIR)/provenance/$$CLIP.c2pa.png; \
	else echo "(pip install c2pa-python, then: python3 clients/python/tools/c2pa_read.py $(DEMO_DIR)/provenance/test-ca/ca.pem $(DEMO_DIR)/provenance/$$CLIP.c2pa.png)"; fi; \
	echo; echo "Every report, in HTML: $(DEMO_DIR)/reports/ ($$(ls $(DEMO_DIR)/reports/*.html | wc -l) pages; the September cost audit also as CSV, one file per table, in costs-2026-09-csv/)"; \
	echo; echo "Look further (GENLEDGER_LEDGER=$(DEMO_DIR)/genledger.db; README.md walks through the three uses):"; \
	echo "  $(GENLEDGER) explain $$ASSET              why this delivered asset looks the way it does, with proofs"; \
	echo "  $(GENLEDGER) report costs --month 2026-09          true cost per acceptable deliverable"; \
	echo "  $(GENLEDGER) routing current --on 2026-06-15       routing in force on a past day"; \
	echo "  $(GENLEDGER) log --stream deliverable/D-000001     one deliverable's whole story"; \
	echo "  $(GENLEDGER) report deliverable D-000001           its attempts, spend by cost kind against its budget, findings"; \
	echo "  $(GENLEDGER) explain D-000001                      how its delivered asset was made, enough to make it again"

## Speed and memory against same-run baselines (see docs/BENCHMARKS.md). The service bench
## loads the release server with wrk (Debian's) on loopback.
BENCH_PACKAGES := wrk curl time postgresql
bench: deps
	$(call install-packages,$(BENCH_PACKAGES))
	$(SWIFT) build $(RELEASE_FLAGS) --product genledger
	cd Benchmarks && $(SWIFT) run -c release ledger-bench $(BENCH_ARGS)
	cd Benchmarks && $(SWIFT) run -c release gate-bench $(GATE_BENCH_ARGS)
	cd Benchmarks && $(SWIFT) run -c release service-bench $(SERVICE_BENCH_ARGS)
	cd Benchmarks && $(SWIFT) run -c release instances-bench $(INSTANCES_BENCH_ARGS)
	cd Benchmarks && $(SWIFT) run -c release oneshot-bench $(ONESHOT_BENCH_ARGS)

## libFuzzer over the parsers (Fuzz/): each target for FUZZ_SECONDS, seeded from Fuzz/Corpus, the
## shipped policies and docs/examples. A finding stops the run and is left in .build/fuzz/; fix it
## and keep the input under Fuzz/Regressions/TARGET/ (FuzzRegressionTests runs them all).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := json policy note proof append-input
FUZZ_DIR := .build/fuzz
fuzz: deps
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	@mkdir -p $(FUZZ_DIR)/seeds-policy $(FUZZ_DIR)/seeds-append-input $(FUZZ_DIR)/seeds-json $(FUZZ_DIR)/seeds-note $(FUZZ_DIR)/seeds-proof
	@cp policies/*.yaml policies/routing/*.yaml $(FUZZ_DIR)/seeds-policy/
	@cp Fuzz/Corpus/fuzz-json/* $(FUZZ_DIR)/seeds-json/ && cp Fuzz/Corpus/fuzz-note/* $(FUZZ_DIR)/seeds-note/ && cp Fuzz/Corpus/fuzz-proof/* $(FUZZ_DIR)/seeds-proof/
	@n=0; while IFS= read -r line; do n=$$((n+1)); printf '%s' "$$line" > $(FUZZ_DIR)/seeds-append-input/line-$$n; done < docs/examples/sample-events.jsonl
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus-$$target; \
	  echo "== fuzz-$$target for $(FUZZ_SECONDS) s"; \
	  Fuzz/.build/release/fuzz-$$target -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -artifact_prefix=$(FUZZ_DIR)/$$target- \
	    $(FUZZ_DIR)/corpus-$$target $(FUZZ_DIR)/seeds-$$target 2>&1 | grep -E '^(Done|#[0-9]+ *DONE)|Fatal|ERROR|SUMMARY|artifact' ; \
	  status=$${PIPESTATUS[0]}; [ $$status -eq 0 ] || { echo "fuzz-$$target found a failure (exit $$status): see $(FUZZ_DIR)/"; exit 1; }; \
	done
	@echo "fuzzing clean: $(FUZZ_TARGETS), $(FUZZ_SECONDS) s each"

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks/Sources

clean:
	rm -rf .build $(DEMO_DIR)
