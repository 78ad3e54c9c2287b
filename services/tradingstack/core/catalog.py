"""The workload catalog: the one list of TradingStack's workloads.

The local launcher, the gateway, the operator's builders and the Helm chart all read this
module; nothing else may hard-code a port, a path prefix or a GPU request.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Resources(BaseModel):
    """Default Kubernetes requests and limits for one container."""

    model_config = ConfigDict(frozen=True)

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


class Volume(BaseModel):
    """A persistent volume a workload owns (no other workload mounts it)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="storage key in the TradingStack spec: models, faiss, data")
    mount_path: str
    default_size: str


class Workload(BaseModel):
    """One workload of the stack."""

    model_config = ConfigDict(frozen=True)

    name: str
    port: int
    path: str | None = Field(description="Ingress/gateway path prefix; None when cluster-internal")
    description: str
    gpu: bool = Field(description="requests nvidia.com/gpu by default")
    app: str | None = Field(
        description="ASGI app factory 'module:function'; None for third-party servers (ollama)"
    )
    implemented: bool = Field(
        description="False while the service is not built yet: the launcher leaves it out"
    )
    volumes: tuple[Volume, ...] = ()
    resources: Resources
    health_path: str = "/health"
    internet_egress: bool = Field(
        default=False, description="may reach the internet (NetworkPolicy); only data and ollama"
    )
    critical: bool = Field(default=True, description="alerts when it goes down")
    torch: bool = Field(
        default=False,
        description="needs PyTorch: runs on the service image's torch variant (tag suffix -torch)",
    )
    depends_on: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        """The path prefix without a trailing slash ('' for the UI at '/')."""
        return "" if self.path in (None, "/") else (self.path or "").rstrip("/")


_SMALL = Resources(cpu_request="100m", memory_request="256Mi", cpu_limit="1", memory_limit="1Gi")
_ML = Resources(cpu_request="500m", memory_request="2Gi", cpu_limit="4", memory_limit="8Gi")
_LLM = Resources(cpu_request="1", memory_request="8Gi", cpu_limit="8", memory_limit="64Gi")

WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="ui",
        port=3000,
        path="/",
        description="web dashboard",
        gpu=False,
        app="tradingstack.ui.app:create_app",
        implemented=True,
        resources=_SMALL,
        critical=False,
    ),
    Workload(
        name="data",
        port=3001,
        path="/data",
        description="the only gateway to external market data: symbols, strategies, OHLCV, "
        "indicators, cache",
        gpu=False,
        app="tradingstack.data.app:create_app",
        implemented=True,
        volumes=(Volume(name="data", mount_path="/var/lib/tradingstack/data", default_size="5Gi"),),
        resources=_SMALL,
        internet_egress=True,
    ),
    Workload(
        name="nhits",
        port=3002,
        path="/nhits",
        description="NHITS (neuralforecast) forecasts with intervals, training jobs, "
        "model registry",
        gpu=True,
        app="tradingstack.nhits.app:create_app",
        implemented=True,
        volumes=(
            Volume(name="models", mount_path="/var/lib/tradingstack/models", default_size="10Gi"),
        ),
        resources=_ML,
        torch=True,
        depends_on=("data",),
    ),
    Workload(
        name="tcn",
        port=3003,
        path="/tcn",
        description="TCN chart-pattern detection, 16 pattern types",
        gpu=True,
        app="tradingstack.tcn.app:create_app",
        implemented=True,
        volumes=(
            Volume(name="models", mount_path="/var/lib/tradingstack/models", default_size="10Gi"),
        ),
        resources=_ML,
        torch=True,
        depends_on=("data",),
    ),
    Workload(
        name="hmm",
        port=3004,
        path="/hmm",
        description="4-state HMM market regimes and LightGBM signal scoring",
        gpu=False,
        app="tradingstack.hmm.app:create_app",
        implemented=True,
        volumes=(
            Volume(name="models", mount_path="/var/lib/tradingstack/models", default_size="10Gi"),
        ),
        resources=_ML,
        depends_on=("data",),
    ),
    Workload(
        name="embedder",
        port=3005,
        path="/embedder",
        description="text, sentiment, time-series and feature embeddings",
        gpu=True,
        app="tradingstack.embedder.app:create_app",
        implemented=True,
        resources=_ML,
        torch=True,
        depends_on=("data",),
    ),
    Workload(
        name="rag",
        port=3008,
        path="/rag",
        description="FAISS knowledge base over documents",
        gpu=True,
        app="tradingstack.rag.app:create_app",
        implemented=True,
        volumes=(
            Volume(name="faiss", mount_path="/var/lib/tradingstack/faiss", default_size="5Gi"),
        ),
        resources=_ML,
        depends_on=("embedder",),
    ),
    Workload(
        name="llm",
        port=3009,
        path="/llm",
        description="market analysis and chat, RAG-augmented, over Ollama",
        gpu=False,
        app="tradingstack.llm.app:create_app",
        implemented=True,
        resources=_ML,
        # not on ollama: without the Ollama workload the analyst runs the bundled model
        # in-process (llama.cpp), which is what a stack without a GPU should run
        depends_on=("data", "nhits", "tcn", "hmm", "rag"),
    ),
    Workload(
        name="ollama",
        port=11434,
        path=None,
        description="Ollama server running the LLM (Llama 3.1)",
        gpu=True,
        app=None,
        implemented=True,
        volumes=(Volume(name="ollama", mount_path="/root/.ollama", default_size="60Gi"),),
        resources=_LLM,
        # Ollama has no /health; /api/version answers once the server is up
        health_path="/api/version",
        internet_egress=True,
    ),
)

BY_NAME: dict[str, Workload] = {w.name: w for w in WORKLOADS}
NAMES: tuple[str, ...] = tuple(w.name for w in WORKLOADS)


def get(name: str) -> Workload:
    """The workload called `name`; KeyError names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(NAMES)}") from None


def local_workloads() -> list[Workload]:
    """The workloads `make up` runs as local processes: our own services that are built."""
    return [w for w in WORKLOADS if w.app is not None and w.implemented]


def routed_workloads() -> list[Workload]:
    """Workloads with a path prefix, longest prefix first (so '/' matches last)."""
    return sorted((w for w in WORKLOADS if w.path is not None), key=lambda w: -len(w.prefix))
