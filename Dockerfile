# syntax=docker/dockerfile:1

# Needs BuildKit (the cache mounts below):
#   DOCKER_BUILDKIT=1 docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t segmentbot .
# VERSION is what `segmentbot version` prints; without it the binary says
# what the Go toolchain recorded (the commit, when .git is in the context).
#
# Run: the service listens on every interface only with Teams
# authentication on (MicrosoftAppId, MicrosoftAppPassword,
# MicrosoftAppTenantId). Without an app id it listens on the container's
# loopback only, unreachable through -p; SEGMENTBOT_AUTH=off opens it
# without authentication (local trials only; logged as an error).

# Build: a static binary (no cgo: SQLite is modernc.org/sqlite, pure Go).
# golang:1.26 tracks the newest 1.26 patch, which go.mod's "go 1.26.8"
# needs; the image sets GOTOOLCHAIN=local, so an older image fails loudly
# instead of downloading a toolchain.
FROM golang:1.26 AS build
ARG VERSION=
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.buildVersion=${VERSION}" -o /out/segmentbot ./cmd/segmentbot \
 && mkdir -p /out/data

# Run: distroless static has CA certificates and time zone data (warnings
# show times in the recipient's zone) and nothing else; it runs as nonroot
# (uid 65532), which owns the data volume.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/segmentbot /segmentbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PORT=3978 \
    DATABASE_URL=sqlite:/data/segmentbot.db
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/segmentbot", "healthcheck"]
ENTRYPOINT ["/segmentbot"]
CMD ["serve"]
