# The real node (issue 11): containerd, runc, kubelet, kube-proxy, CoreDNS, Traefik and
# local-path beside the control plane (hack/node.py), and the images it runs (hack/images.py:
# buildah on a Debian base from mmdebstrap; no Docker engine, nothing from a registry).
IMAGES := python3 hack/images.py
# Debian's packages: CNI plugins, iptables and conntrack for the node; libseccomp-dev and
# pkg-config to build runc with seccomp; buildah, mmdebstrap, umoci and uidmap for the images;
# busybox-static for local-path's helper image; qemu-user-static, binfmt-support and arch-test
# (mmdebstrap's check that a foreign architecture runs) for the arm64 image.
NODE_DEBS := containernetworking-plugins iptables conntrack libseccomp-dev pkg-config \
	buildah mmdebstrap umoci uidmap busybox-static qemu-user-static binfmt-support arch-test

.PHONY: node-deps
node-deps:
	@missing=$$(for p in $(NODE_DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's $$missing for the real node and the images"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $$missing >/dev/null; fi

# ARCH=arm64 builds the Jetson's images on an amd64 host under qemu-user (slow: Python's
# bytecode compile and the package scripts run emulated; on an arm64 host the build is native).
HOST_ARCH := $(shell python3 -c "import platform; print({'x86_64': 'amd64', 'aarch64': 'arm64'}.get(platform.machine(), platform.machine()))")
ARCH ?= $(HOST_ARCH)
# the Ollama image holds the ollama binary built here (hack/ollama_server.py): the host's
# architecture only
OLLAMA_IMAGE := $(if $(filter $(ARCH),$(HOST_ARCH)),ollama)

.PHONY: images
images: node-deps ui-assets $(if $(OLLAMA_IMAGE),ollama) ## build the images (operator, services, services-torch, ollama) as OCI archives
	@$(IMAGES) build --arch $(ARCH) operator services services-torch $(OLLAMA_IMAGE)

.PHONY: images-list
images-list: ## the built images: references, archives, sizes
	@$(IMAGES) list

# The images the node tests run (tests/cluster/test_node_stack.py): built here, before pytest,
# so that a cold build (minutes) is not cut short by a test's timeout; cached afterwards.
.PHONY: test-images
test-images: node-deps ui-assets ollama
	@$(IMAGES) build operator services services-torch ollama node

# runc links libseccomp: the Debian packages come before the Go build.
control-plane: node-deps
test-deps: node-deps test-images
