// containerd v2 (containerd, ctr, containerd-shim-runc-v2): the real node's container runtime.
module tradingstack.local/hack/control-plane/containerd

go 1.26.6

require github.com/containerd/containerd/v2 v2.4.2 // indirect
