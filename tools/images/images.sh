#!/usr/bin/env bash
# Build the authconfig-fn and check-server images with podman.
#
#   tools/images/images.sh            local flavour: FROM scratch + ./bin binaries, no pull
#   tools/images/images.sh release    release flavour: golang + distroless bases (needs a registry)
#
# Local images are tagged $IMAGE_REPO/<name>:$IMAGE_TAG (default
# localhost/meshauth/<name>:dev) and labelled with the sha256 of the binary
# they carry; when the label already matches ./bin the build is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."

flavour=${1:-local}
IMAGE_REPO=${IMAGE_REPO:-localhost/meshauth}
IMAGE_TAG=${IMAGE_TAG:-dev}
PODMAN=${PODMAN:-podman}
label=dev.meshauth.binary-sha256

if ! command -v "$PODMAN" >/dev/null 2>&1; then
  echo "images: $PODMAN not found; run ../shared/tools/podman-sandbox.sh (as root) or install podman" >&2
  exit 1
fi

for name in authconfig-fn check-server; do
  image="$IMAGE_REPO/$name:$IMAGE_TAG"
  case "$flavour" in
  local)
    bin="bin/$name"
    [[ -x $bin ]] || { echo "images: $bin missing: run make build" >&2; exit 1; }
    sum=$(sha256sum "$bin" | cut -d' ' -f1)
    have=$("$PODMAN" image inspect --format "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null || true)
    if [[ $have == "$sum" ]]; then
      echo "images: $image is up to date ($label=${sum:0:12})"
      continue
    fi
    "$PODMAN" build -q --target "$name-local" --build-context certs=/etc/ssl/certs \
      --label "$label=$sum" --label "org.opencontainers.image.version=$IMAGE_TAG" \
      -t "$image" . >/dev/null
    echo "images: built $image ($label=${sum:0:12})"
    ;;
  release)
    "$PODMAN" build --target "$name" --label "org.opencontainers.image.version=$IMAGE_TAG" \
      --label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
      -t "$image" .
    ;;
  *)
    echo "usage: $0 [local|release]" >&2; exit 2 ;;
  esac
done
