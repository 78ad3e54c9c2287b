# The test control plane (issue 3): kube-apiserver, etcd, controller-manager, scheduler and
# kwok with one simulated Jetson AGX Thor node, built from Go modules pinned in
# hack/control-plane/*/go.mod and cached in ~/.cache/tradingstack/bin/<hash>/.
CONTROLPLANE := python3 hack/controlplane

.PHONY: control-plane
control-plane: ## build the control-plane binaries (once; again only when a pinned version changes)
	@$(CONTROLPLANE) build

.PHONY: cluster-up
cluster-up: control-plane ## start the control plane and the real node; writes .cluster/kubeconfig and .cluster/ingress-url
	@$(CONTROLPLANE) up

.PHONY: cluster-down
cluster-down: ## stop the control plane started by cluster-up
	@$(CONTROLPLANE) down

.PHONY: cluster-status
cluster-status: ## is the control plane of cluster-up running?
	@$(CONTROLPLANE) status

# `make test` runs the cluster tests, so it builds the binaries first when they are missing.
test-deps: control-plane
