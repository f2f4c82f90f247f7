# Container images (Dockerfile, docs/runners.md): authconfig-fn and
# check-server. `images` builds the local flavour (FROM scratch + the ./bin
# binaries, no registry needed) and skips an image whose binary-hash label
# already matches; `images-release` builds on golang + distroless.
IMAGE_REPO ?= localhost/meshauth
IMAGE_TAG ?= dev
export IMAGE_REPO IMAGE_TAG

.PHONY: images images-release
images: build ## build the authconfig-fn and check-server images with podman (local, no pull)
	@if command -v podman >/dev/null 2>&1; then tools/images/images.sh local; \
	else echo "images: podman not found; skipping (run ../shared/tools/podman-sandbox.sh as root to install it)"; fi

images-release: ## build the release images (golang + distroless bases; needs a registry)
	tools/images/images.sh release
