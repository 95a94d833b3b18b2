#!/bin/sh
# The one way flumego's agent binary is built: by `make build`, `make dist` (tools/dist) and the
# Dockerfile alike. A static, trimmed binary whose bytes depend only on the commit, the Go
# version and GOOS/GOARCH, so two builds of one commit are identical.
#
#   build/go-build.sh OUTPUT          GOOS, GOARCH, GOARM... from the environment
#
# VERSION, COMMIT and DATE are stamped into the binary (`agent version`, flumego_build_info);
# unset, they come from the VERSION file and git (DATE is the commit's time, not the build's).
set -eu
cd "$(dirname "$0")/.."
out=${1:?usage: build/go-build.sh OUTPUT}
: "${VERSION:=$(cat VERSION)}"
: "${COMMIT:=$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
: "${DATE:=$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || echo unknown)}"
CGO_ENABLED=0 exec "${GO:-go}" build -trimpath -buildvcs=false \
	-ldflags "-s -w -buildid= -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE" \
	-o "$out" ./cmd/agent
