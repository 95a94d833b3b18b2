# syntax=docker/dockerfile:1
#
# flumego agent as a container image: the static binary on an empty base, running as non-root.
# `make dist` builds the same image without a Docker engine (tools/dist reads this file's last
# stage, so both produce the same file system, user, entry point and labels):
#
#   docker build -t ghcr.io/flumego/agent:$(cat VERSION) --build-arg VERSION=$(cat VERSION) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd) .
#   docker run --rm -v $PWD/examples:/etc/flumego:ro ghcr.io/flumego/agent:$(cat VERSION) -f /etc/flumego/quickstart.hcl
#
# The image has no shell and no HEALTHCHECK: orchestrators probe GET /healthz on the metrics
# listener instead (examples/kubernetes/sidecar.yaml). State (taildir positions, file
# channels) belongs under /var/lib/flumego, on a volume. CA roots and time zones are inside
# the binary.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
# The one build command of `make build` and `make dist` (TestDockerfileBuildsLikeTheMakefile).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    VERSION=${VERSION} COMMIT=${COMMIT} DATE=${DATE} build/go-build.sh /out/agent
# An empty state directory the non-root user owns, for when no volume is mounted there.
RUN mkdir -p /out/state

FROM scratch
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
COPY build/image/rootfs/ /
COPY examples/package/flume.hcl /etc/flumego/flume.hcl
COPY LICENSE NOTICE /usr/share/doc/flumego/
COPY --from=build /out/agent /usr/bin/agent
COPY --from=build --chown=65532:65532 /out/state /var/lib/flumego
ENV PATH=/usr/bin
USER 65532:65532
WORKDIR /var/lib/flumego
# The metrics listener of the examples: /metrics, /metrics.json, /status, /healthz.
EXPOSE 41414
LABEL org.opencontainers.image.title="flumego agent" \
      org.opencontainers.image.description="Log collection agent: the successor to Apache Flume NG" \
      org.opencontainers.image.source="https://github.com/flumego/flumego" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${DATE}"
ENTRYPOINT ["/usr/bin/agent"]
CMD ["-f", "/etc/flumego/flume.hcl", "--log-format", "json"]
