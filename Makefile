# flumego — build, test, benchmark and lint. `make test` is what CI runs (.ci/run).
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build test test-short bench lint fmt clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/agent ./cmd/agent

# The custom-agent example is a module of its own (a replace to this one), so ./... does not
# reach it; it is vetted and tested here, building a custom agent from the public packages on
# every change. -mod=mod lets its go.sum follow this module's requirements.
CUSTOM := cd examples/custom-interceptor && GOFLAGS=-mod=mod

# The whole suite: unit, conformance and end-to-end tests, with the race detector.
test:
	$(GO) test -race -timeout 30m ./...
	$(CUSTOM) $(GO) test -race -timeout 10m ./...

test-short:
	$(GO) test -short ./...

# Benchmarks report events/s, MiB/s and allocations; they never pass or fail anything.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./...
	bash bench/run.sh

lint:
	$(GO) vet ./...
	$(CUSTOM) $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
