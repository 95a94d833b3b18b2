# syntax=docker/dockerfile:1
#
# flumego agent as a container image: a static binary on distroless, running as non-root.
#
#   docker build -t flumego/agent:dev --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -v $PWD/examples:/etc/flumego:ro flumego/agent:dev -f /etc/flumego/quickstart.hcl
#
# The image has no shell and no HEALTHCHECK (distroless cannot run one): orchestrators probe
# GET /healthz on the metrics listener instead (examples/kubernetes/sidecar.yaml). State
# (taildir positions, file channels) belongs under /var/lib/flumego, on a volume.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# The same command line as `make build` (TestDockerfileBuildsLikeTheMakefile checks it).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/agent ./cmd/agent
# An empty state directory the non-root user owns, for when no volume is mounted there.
RUN mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/agent /usr/local/bin/flumego-agent
COPY --from=build --chown=65532:65532 /out/state /var/lib/flumego
USER 65532:65532
WORKDIR /var/lib/flumego
# The metrics listener in the examples: /metrics, /metrics.json, /healthz.
EXPOSE 41414
ENTRYPOINT ["/usr/local/bin/flumego-agent"]
CMD ["-f", "/etc/flumego/agent.hcl", "--log-format", "json"]
