# Vigie. `make run` starts the demo; `make test` runs every test (needs PostgreSQL, see README).
GO ?= go
PKGS := ./...

.PHONY: all build run test vet fmt-check lint bench fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o bin/vigie ./cmd/vigie

run: build
	./bin/vigie serve --demo

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l cmd internal policies migrations frontend); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: vet fmt-check
	$(GO) tool staticcheck $(PKGS)

test: lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x -timeout 30m $(PKGS)

clean:
	rm -rf bin
