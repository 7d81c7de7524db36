# Vigie. `make run` starts the demo; `make test` runs every test (needs PostgreSQL, see README).
GO ?= go
PKGS := ./...
# Vendored front-end libraries (frontend/static/vendor/*/VERSION); change a version here and
# run its target to refresh the files.
DSFR_VERSION ?= 1.15.3
EDITOR_VERSION ?= 5.65.20

.PHONY: all build run test test-go test-e2e e2e-setup vet fmt-check lint bench bench-national deploy-check fuzz clean vendor-dsfr vendor-editor

all: build

build:
	CGO_ENABLED=0 $(GO) build -o bin/vigie ./cmd/vigie

run: build
	./bin/vigie serve --demo --cookie-secure=false

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l cmd internal policies migrations frontend deploy); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: vet fmt-check
	$(GO) tool staticcheck $(PKGS)

# The Go tests, then the browser tests (headless Chromium against a real `vigie serve --demo`).
test: lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(MAKE) test-e2e

test-go: lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

# Installs Debian's chromium when missing (as root) and the npm packages of frontend/e2e.
e2e-setup:
	frontend/e2e/setup.sh

# Browser tests; screenshots and accessibility results land in frontend/e2e/artifacts/.
test-e2e: build e2e-setup
	cd frontend/e2e && VIGIE_BIN=$(CURDIR)/bin/vigie npm test

vendor-dsfr:
	frontend/vendor.sh dsfr $(DSFR_VERSION)

vendor-editor:
	frontend/vendor.sh editor $(EDITOR_VERSION)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -timeout 30m $(PKGS)

# National scale on PostgreSQL (needs VIGIE_TEST_POSTGRES_URL as for make test): 30
# academies at 1,000, 3,000 and 11,000 schools with 60 days of history, a real replica's daily
# evaluation, summaries, database size and memory. Most of the machine for about an hour on
# 2 shared cores; VIGIE_NATIONAL_SIZES=1000,3000 for a shorter run. Report: national-report.md.
bench-national:
	VIGIE_NATIONAL_REPORT=$(CURDIR)/national-report.md $(GO) test -tags national -run TestNational -count=1 -v -timeout 120m ./internal/bench/

# Validates deploy/: kustomize + kubeconform on the manifests (tools from the Go module proxy
# into a temporary GOBIN), and the Dockerfile and compose.yaml tests.
deploy-check:
	deploy/check.sh

clean:
	rm -rf bin
