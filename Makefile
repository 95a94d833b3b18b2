# flumego — build, test, benchmark, lint and release. `make test` is what CI runs (.ci/run).
GO      ?= go
export GO

.PHONY: build test test-short bench lint fmt dist check-dist clean

# A static binary stamped with the VERSION file, the commit and the commit's time
# (build/go-build.sh is the one build command: make dist and the Dockerfile use it too).
build:
	build/go-build.sh bin/agent

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

# Release artifacts in dist/: static binaries for linux/amd64 and arm64 in .tar.gz archives,
# .deb and .rpm packages, a multi-arch OCI image (layout and tarball) and SHA256SUMS; it prints
# the image's name and tag. Needs only Go and the module proxy (tools/dist).
dist:
	cd tools/dist && $(GO) run . -root ../.. -out ../../dist

# What .ci/run checks of make dist's output: install, upgrade and purge of the .deb, the .rpm,
# the image, and a second build from a fresh clone being byte-identical.
check-dist: dist
	build/check-dist.sh dist

clean:
	rm -rf bin dist
