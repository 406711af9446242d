# SRG: `make run` starts everything for a local try-out, `make test` runs every check.
# Both start the local Postgres + Elasticsearch stack (scripts/devstack) when needed.

SHELL        := /bin/bash
.SHELLFLAGS  := -euo pipefail -c
GO           ?= go
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X github.com/srgplatform/srg/app.Version=$(VERSION)
BIN          := bin/srg
CONFIG       ?= config/srg.example.yaml
STATICCHECK  := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK  := golang.org/x/vuln/cmd/govulncheck@v1.9.0
# Starts the dev stack (or checks the one named by SRG_DATABASE_URL and
# SRG_ELASTICSEARCH_URL) and exports its addresses into the recipe's shell; the
# recipe stops when it cannot (eval of the empty output would go on, against
# whatever answers on the default ports).
STACK        := stack_env="$$(scripts/devstack up)" || exit 1; eval "$$stack_env"

.PHONY: run test build lint vet fmt-check staticcheck vulncheck gotest jstest tools tracker portal-js stack-up stack-down stack-status clean

## run: start the dev stack, build, migrate, and serve the demo tenant on http://127.0.0.1:8080
## (sign in as admin@demo.example with $DEMO_ADMIN_PASSWORD; the SMS code is in the log)
DEMO_ADMIN_PASSWORD ?= demo-admin-password
run: build
	@$(STACK); \
	export SRG_SECRETS_KEY="$$(scripts/dev-secret)"; \
	export DEMO_ADMIN_PASSWORD='$(DEMO_ADMIN_PASSWORD)'; \
	$(BIN) migrate up --config $(CONFIG); \
	echo "Sign in at http://127.0.0.1:8080/login as admin@demo.example with the password $$DEMO_ADMIN_PASSWORD;"; \
	echo "the 6-digit code is written to this log (DEVELOPMENT ONLY: SMS code for ...)."; \
	exec $(BIN) serve --config $(CONFIG)

## test: formatting, vet, staticcheck, govulncheck, the tracker's JavaScript tests and
## every Go test (race detector on) against the real stack, browser tests included
test: lint jstest gotest

tools:
	scripts/ensure-test-tools

## tracker: rebuild static/sona.js from static/tracker/sona.src.js (committed, so go build needs no node)
tracker: tools
	cd static && npm run build:tracker

## portal-js: rebuild static/js/portal.js (htmx + ECharts) from static/portal/ (committed, like the tracker)
portal-js: tools
	cd static && npm run build:portal

jstest: tools
	cd static && npm test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

lint: fmt-check vet staticcheck vulncheck

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

vulncheck:
	scripts/vulncheck $(GOVULNCHECK)

gotest: tools
	@$(STACK); $(GO) test -race -count=1 -timeout 20m ./...

stack-up:
	@scripts/devstack up >/dev/null

stack-down:
	scripts/devstack down

stack-status:
	scripts/devstack status

clean:
	rm -rf bin
