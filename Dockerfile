# syntax=docker/dockerfile:1
# xinqiao: a static binary on a distroless, non-root base.
#   docker build -t xinqiao .
#   docker compose up        (with PostgreSQL + pgvector; see docker-compose.yml)

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/xinqiao ./cmd/xinqiao \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/xinqiao /usr/local/bin/xinqiao
# The embedded store's folder; unused when DATABASE_URL is set.
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV XINQIAO_ADDR=:8080 \
    XINQIAO_DATA_DIR=/data \
    XINQIAO_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/xinqiao", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/xinqiao"]
CMD ["serve"]
