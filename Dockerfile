# syntax=docker/dockerfile:1
#
# Two images, authconfig-fn (the KRM function) and check-server (the ext_authz
# service), each built two ways. docs/runners.md explains both.
#
# Release (needs the Go and distroless base images from a registry):
#   podman build --target authconfig-fn -t ghcr.io/meshauth/authconfig-fn:TAG .
#   podman build --target check-server  -t ghcr.io/meshauth/check-server:TAG .
#
# Local (no base-image pull; packs the static binaries `make build` put in
# ./bin, and the host's CA bundle through a named build context):
#   podman build --target authconfig-fn-local --build-context certs=/etc/ssl/certs \
#     -t localhost/meshauth/authconfig-fn:dev .
# `make images` (tools/images/images.sh) does this for both, skipping a rebuild when
# the image's binary-hash label already matches ./bin.
#
# Every image: static binary (CGO_ENABLED=0), non-root user, an /etc/passwd
# entry for `nobody` (kpt and kustomize run functions with --user nobody),
# OCI labels, ENTRYPOINT the binary.

ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

# ---- release ----------------------------------------------------------------
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags=-s -o /out/ ./cmd/authconfig-fn ./cmd/check-server

FROM ${BASE_IMAGE} AS authconfig-fn
LABEL org.opencontainers.image.title="authconfig-fn" \
      org.opencontainers.image.description="meshauth KRM function: one AuthConfig in, the Istio ingress auth stack out" \
      org.opencontainers.image.source="https://meshauth.dev/meshauth" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/authconfig-fn /usr/local/bin/authconfig-fn
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/authconfig-fn"]

FROM ${BASE_IMAGE} AS check-server
LABEL org.opencontainers.image.title="check-server" \
      org.opencontainers.image.description="meshauth Envoy ext_authz check-server" \
      org.opencontainers.image.source="https://meshauth.dev/meshauth" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/check-server /usr/local/bin/check-server
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/check-server"]

# ---- local: FROM scratch, nothing pulled ------------------------------------
FROM scratch AS local-base
COPY tools/images/rootfs/passwd /etc/passwd
COPY tools/images/rootfs/group /etc/group
COPY --from=certs ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
USER 65532:65532

FROM local-base AS authconfig-fn-local
LABEL org.opencontainers.image.title="authconfig-fn" \
      org.opencontainers.image.description="meshauth KRM function: one AuthConfig in, the Istio ingress auth stack out" \
      org.opencontainers.image.source="https://meshauth.dev/meshauth" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY bin/authconfig-fn /usr/local/bin/authconfig-fn
ENTRYPOINT ["/usr/local/bin/authconfig-fn"]

FROM local-base AS check-server-local
LABEL org.opencontainers.image.title="check-server" \
      org.opencontainers.image.description="meshauth Envoy ext_authz check-server" \
      org.opencontainers.image.source="https://meshauth.dev/meshauth" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY bin/check-server /usr/local/bin/check-server
ENTRYPOINT ["/usr/local/bin/check-server"]
