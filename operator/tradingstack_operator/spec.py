"""The TradingStack spec and status: pydantic v2 models, the source of the CRD schema.

`tradingstack_operator.crd` turns these models into the CRD's OpenAPI v3 schema; a unit test
checks that the committed `crds/` file equals the generated one. Every field has a description
(so `kubectl explain` is useful); CEL rules live next to the fields they check, and the same
rules are enforced by pydantic validators, so the model and the API server agree.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from tradingstack.core import catalog
from tradingstack.core.timeframes import Timeframe

GROUP = "tradingstack.dev"
VERSION = "v1alpha1"
KIND = "TradingStack"
PLURAL = "tradingstacks"
SINGULAR = "tradingstack"
SHORT_NAMES = ["ts"]
API_VERSION = f"{GROUP}/{VERSION}"
PAUSE_ANNOTATION = f"{GROUP}/paused"

QUANTITY_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PREPARE_PATTERN = r"^[A-Za-z0-9._^=-]+(:[A-Za-z0-9]+)?$"
DEFAULT_PREPARE = ("BTCUSD:H1",)
"""What the local stack prepares at first start (tradingstack.local.prepare)."""
PREPARE_WORKLOADS = ("nhits", "tcn", "hmm")
"""The services given TS_JOBS_PREPARE."""


def section(model: type[BaseModel], description: str) -> Any:
    """A nested object field that defaults to `{}`, so the API server fills its own defaults."""
    return Field(default_factory=model, description=description, json_schema_extra={"default": {}})


def cel(rule: str, message: str, **extra: Any) -> dict[str, Any]:
    """One `x-kubernetes-validations` entry."""
    return {"rule": rule, "message": message, **extra}


class _Model(BaseModel):
    """Base: camelCase in YAML, snake_case in Python, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class SecretKeyRef(_Model):
    """A key in a Secret in the TradingStack's namespace."""

    name: str = Field(description="Name of the Secret (same namespace as the TradingStack).")
    key: str = Field(description="Key inside the Secret whose value is used.")


class Toleration(_Model):
    """A pod toleration (same meaning as in a Pod spec)."""

    key: str | None = Field(default=None, description="Taint key the toleration applies to.")
    operator: Literal["Exists", "Equal"] = Field(
        default="Equal", description="Exists matches any value; Equal matches `value`."
    )
    value: str | None = Field(default=None, description="Taint value to match (Equal only).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="Taint effect to match; empty matches every effect."
    )
    toleration_seconds: int | None = Field(
        default=None, description="How long a NoExecute-tainted pod stays bound, in seconds."
    )


class ResourceList(_Model):
    """CPU and memory quantities."""

    cpu: str | None = Field(
        default=None, pattern=QUANTITY_PATTERN, description="CPU quantity, e.g. 500m or 2."
    )
    memory: str | None = Field(
        default=None, pattern=QUANTITY_PATTERN, description="Memory quantity, e.g. 2Gi."
    )


class ResourceRequirements(_Model):
    """Requests and limits of the workload's container (nvidia.com/gpu is set by `gpu`)."""

    requests: ResourceList = section(
        ResourceList, "Requested CPU and memory; unset values come from the catalog defaults."
    )
    limits: ResourceList = section(
        ResourceList, "CPU and memory limits; unset values come from the catalog defaults."
    )


# CEL rules use has(): the API server also checks them against the `default: {}` values, before
# nested defaults are filled in.
_GPU_RULE = cel(
    "!has(self.gpu) || self.gpu >= 0",
    "gpu is a count of nvidia.com/gpu devices and cannot be negative; use 0 for no GPU",
)


class WorkloadSpec(_Model):
    """Settings of one workload (fields shared by all nine)."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_GPU_RULE]})

    enabled: bool = Field(
        default=True,
        description="Run this workload. A workload another enabled one depends on cannot be "
        "disabled.",
    )
    replicas: int = Field(default=1, ge=0, le=16, description="Number of pods.")
    image: str | None = Field(
        default=None,
        description="Full image reference for this workload only (overrides image.registry, "
        "image.repository and image.tag), so one workload can be updated alone.",
    )
    resources: ResourceRequirements = section(
        ResourceRequirements, "CPU and memory requests and limits; defaults from the catalog."
    )
    gpu: int = Field(
        default=0,
        description="Number of nvidia.com/gpu devices (time-slicing replicas on a Jetson) "
        "requested in the container's limits; pods with a GPU use runtimeClassName.",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Extra environment variables for the container (TS_<SERVICE>_... settings).",
    )
    node_selector: dict[str, str] = Field(
        default_factory=dict, description="Node labels the pods must match."
    )
    tolerations: list[Toleration] = Field(
        default_factory=list, description="Tolerations added to the pods."
    )

    @field_validator("gpu")
    @classmethod
    def _gpu_not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(_GPU_RULE["message"])
        return value


def _workload_model(w: catalog.Workload) -> type[WorkloadSpec]:
    """A WorkloadSpec subclass whose `gpu` default follows the catalog (1 for GPU workloads)."""
    model: type[WorkloadSpec] = create_model(
        f"{w.name.capitalize()}WorkloadSpec",
        __base__=WorkloadSpec,
        __doc__=f"Settings of the {w.name} workload: {w.description}.",
        gpu=(
            int,
            Field(
                default=1 if w.gpu else 0,
                description="Number of nvidia.com/gpu devices (time-slicing replicas on a "
                "Jetson) requested in the container's limits; pods with a GPU use "
                "runtimeClassName." + (" The catalog default is 1." if w.gpu else ""),
            ),
        ),
    )
    return model


WORKLOAD_MODELS: dict[str, type[WorkloadSpec]] = {
    w.name: _workload_model(w) for w in catalog.WORKLOADS
}


def _enabled(name: str) -> str:
    """CEL: workload `name` is enabled (absent means the default, enabled)."""
    return f"(!has(self.{name}) || !has(self.{name}.enabled) || self.{name}.enabled)"


def _dependency_rules() -> list[dict[str, Any]]:
    rules = []
    for w in catalog.WORKLOADS:
        for dep in w.depends_on:
            rules.append(
                cel(
                    f"!{_enabled(w.name)} || {_enabled(dep)}",
                    f"{w.name} depends on {dep}: enable {dep} or disable {w.name} too",
                )
            )
    return rules


DEPENDENCY_RULES = _dependency_rules()


class _WorkloadsBase(_Model):
    """The nine workloads; each entry overrides the catalog defaults."""

    model_config = ConfigDict(
        json_schema_extra={"x-kubernetes-validations": DEPENDENCY_RULES}  # type: ignore[dict-item]
    )

    @model_validator(mode="after")
    def _dependencies_enabled(self) -> _WorkloadsBase:
        errors = []
        for w in catalog.WORKLOADS:
            if not getattr(self, w.name).enabled:
                continue
            for dep in w.depends_on:
                if not getattr(self, dep).enabled:
                    errors.append(
                        f"{w.name} depends on {dep}: enable {dep} or disable {w.name} too"
                    )
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def get(self, name: str) -> WorkloadSpec:
        """The settings of workload `name`."""
        value: WorkloadSpec = getattr(self, catalog.get(name).name)
        return value


Workloads: type[_WorkloadsBase] = create_model(  # type: ignore[call-overload]
    "Workloads",
    __base__=_WorkloadsBase,
    __doc__="The nine workloads; each entry overrides the catalog defaults.",
    **{
        w.name: (
            WORKLOAD_MODELS[w.name],
            section(WORKLOAD_MODELS[w.name], f"The {w.name} workload: {w.description}."),
        )
        for w in catalog.WORKLOADS
    },
)


class ImageSpec(_Model):
    """Where the service images come from."""

    registry: str = Field(
        default="ghcr.io/tradingstack", description="Registry and namespace of the images."
    )
    repository: str = Field(
        default="tradingstack", description="Image name of the service image (one for all)."
    )
    tag: str = Field(default="0.1.0", description="Image tag for every workload.")
    gpu_tag_suffix: str = Field(
        default="-jetson",
        description="Suffix added to the tag for workloads with a GPU (the L4T PyTorch image); "
        "empty to use the CPU image everywhere.",
    )
    torch_tag_suffix: str = Field(
        default="-torch",
        description="Suffix added to the tag for workloads that need PyTorch (nhits, tcn, "
        "embedder) and run without a GPU: the service image with PyTorch. The image without "
        "it (data, hmm, rag, llm, ui) is several GB smaller.",
    )
    ollama_image: str | None = Field(
        default=None,
        description="Image of the Ollama server; by default <registry>/tradingstack-ollama:<tag> "
        "(`make images`: the pinned ollama binary and the bundled SmolLM2 GGUF). Any image with "
        "`ollama` on its PATH and /bin/sh works (e.g. docker.io/ollama/ollama). "
        "workloads.ollama.image overrides it.",
    )
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = Field(
        default="IfNotPresent", description="imagePullPolicy of every container."
    )
    pull_secrets: list[str] = Field(
        default_factory=list, description="Names of image pull Secrets in the namespace."
    )


class ProviderSpec(_Model):
    """A market-data provider used by the data service (the only one that reaches the internet)."""

    name: Literal["easyinsight", "twelvedata", "yahoo"] = Field(description="Provider name.")
    enabled: bool = Field(default=True, description="Use this provider.")
    api_key_secret_ref: SecretKeyRef | None = Field(
        default=None,
        description="Secret key holding the provider's API key; given to the data service "
        "as TS_DATA_<PROVIDER>_API_KEY.",
    )
    base_url: str | None = Field(default=None, description="Override of the provider's API URL.")


class MarketSpec(_Model):
    """What the stack analyses."""

    symbols: list[str] = Field(
        default_factory=lambda: ["EURUSD", "BTCUSD", "AAPL"],
        min_length=1,
        description="Symbols (provider-neutral spelling, e.g. EURUSD).",
        json_schema_extra={"default": ["EURUSD", "BTCUSD", "AAPL"]},
    )
    timeframes: list[Literal[tuple(t.value for t in Timeframe)]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["H1", "D1"],
        min_length=1,
        description="Bar timeframes to analyse.",
        json_schema_extra={"default": ["H1", "D1"]},
    )
    providers: list[ProviderSpec] = Field(
        default_factory=lambda: [ProviderSpec(name="yahoo")],
        description="Market-data providers, in order of preference.",
        json_schema_extra={"default": [{"name": "yahoo"}]},
    )


class OllamaSpec(_Model):
    """The LLM served by Ollama."""

    model: str = Field(
        default="llama3.1:8b",
        description="Ollama model name used by llm. When the Ollama pod starts without it, it is "
        "created from the image's bundled GGUF <model>.gguf if there is one (the default image "
        "has smollm2, the CPU example's model, created offline), else pulled if `pull` allows.",
    )
    pull: bool = Field(
        default=True,
        description="Pull the model when the Ollama pod starts and the image bundles no GGUF of "
        "it; this is the only reason ollama may reach the internet (NetworkPolicy). Off, the "
        "pod stays offline (OLLAMA_NO_CLOUD too).",
    )


def _volume_default(name: str) -> str:
    return next(v.default_size for w in catalog.WORKLOADS for v in w.volumes if v.name == name)


_STORAGE_CLASS_RULE = cel(
    "!has(oldSelf.className) || (has(self.className) && self.className == oldSelf.className)",
    "storage.className cannot be changed once set: existing volumes cannot move to another "
    "storage class (create a new TradingStack instead)",
)


class StorageSpec(_Model):
    """Persistent volumes; each workload owns its own claims."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_STORAGE_CLASS_RULE]})

    class_name: str | None = Field(
        default=None,
        max_length=253,
        description="StorageClass of every claim (K3s: local-path); unset uses the default "
        "class. Immutable once set.",
    )
    ephemeral: bool = Field(
        default=False,
        description="Use emptyDir volumes instead of PersistentVolumeClaims (data is lost "
        "with the pod): for trials and tests.",
    )
    models: str = Field(
        default=_volume_default("models"),
        pattern=QUANTITY_PATTERN,
        description="Size of each model registry volume (nhits, tcn, hmm).",
    )
    faiss: str = Field(
        default=_volume_default("faiss"),
        pattern=QUANTITY_PATTERN,
        description="Size of rag's FAISS index volume.",
    )
    data: str = Field(
        default=_volume_default("data"),
        pattern=QUANTITY_PATTERN,
        description="Size of data's cache volume.",
    )
    ollama: str = Field(
        default=_volume_default("ollama"),
        pattern=QUANTITY_PATTERN,
        description="Size of the Ollama model volume.",
    )

    def size(self, volume: str) -> str:
        """The size of the storage key `volume` (models, faiss, data, ollama)."""
        value: str = getattr(self, volume)
        return value


_TLS_RULE = cel(
    "!has(self.tlsSecretName) || has(self.host)", "ingress.tlsSecretName needs ingress.host"
)


class IngressSpec(_Model):
    """How the UI and the APIs are exposed (paths from the catalog, the UI at /)."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_TLS_RULE]})

    enabled: bool = Field(default=True, description="Create Ingress objects.")
    class_name: str = Field(
        default="traefik",
        description="IngressClass: traefik (K3s default; a Traefik Middleware strips the path "
        "prefixes) or nginx (rewrite annotations); other classes get plain prefix routes.",
    )
    host: str | None = Field(default=None, description="Host name; unset matches every host.")
    tls_secret_name: str | None = Field(
        default=None, description="TLS Secret for `host` (needs `host`)."
    )
    basic_auth_secret_name: str | None = Field(
        default=None,
        description="Secret with htpasswd `users` (traefik) or `auth` (nginx) for basic auth.",
    )

    @model_validator(mode="after")
    def _tls_needs_host(self) -> IngressSpec:
        if self.tls_secret_name and not self.host:
            raise ValueError(_TLS_RULE["message"])
        return self


class TelegramSpec(_Model):
    """Telegram credentials for alerts."""

    secret_name: str = Field(description="Secret holding the bot token and the chat id.")
    bot_token_key: str = Field(default="bot-token", description="Key of the bot token.")
    chat_id_key: str = Field(default="chat-id", description="Key of the chat id.")


class AlertingSpec(_Model):
    """Health checks and alerts (the operator's watchdog)."""

    enabled: bool = Field(
        default=False, description="Send alerts (health is checked and reported either way)."
    )
    telegram: TelegramSpec | None = Field(default=None, description="Telegram destination.")
    webhook_url: str | None = Field(
        default=None,
        description="POST each alert as JSON to this URL (a generic webhook), beside or "
        "instead of Telegram.",
    )
    interval_seconds: int = Field(
        default=30, ge=1, le=3600, description="Seconds between health checks."
    )
    cooldown_seconds: int = Field(
        default=900,
        ge=0,
        le=86400,
        description="Seconds after an alert for a workload before another one for it is sent.",
    )
    probe_timeout_seconds: float = Field(
        default=5.0, ge=0.1, le=60, description="Timeout of one health request (seconds)."
    )
    probe_retries: int = Field(
        default=1, ge=0, le=5, description="Retries of a failed health request within a check."
    )
    critical: dict[str, bool] = Field(
        default_factory=dict,
        description="Per workload name: whether it alerts when it goes down (default: the "
        "catalog's choice; the UI does not alert).",
    )

    def is_critical(self, workload: catalog.Workload) -> bool:
        """Whether `workload` alerts."""
        return self.critical.get(workload.name, workload.critical)


_ALERT_RULE = cel(
    "!has(self.alerting) || !has(self.alerting.enabled) || !self.alerting.enabled"
    " || has(self.alerting.telegram) || has(self.alerting.webhookUrl)",
    "alerting.enabled needs a destination: alerting.telegram (a Secret with the bot token and "
    "chat id) or alerting.webhookUrl",
)


class TradingStackSpec(_Model):
    """The desired state of one TradingStack: nine workloads, their storage and the Ingress."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_ALERT_RULE]})

    image: ImageSpec = section(ImageSpec, "Images of the services.")
    runtime_class_name: str | None = Field(
        default="nvidia",
        description="RuntimeClass of pods with a GPU (K3s installs `nvidia`); empty string "
        "for none.",
    )
    workloads: Workloads = section(  # type: ignore[valid-type]
        Workloads, "Per-workload settings; every workload is enabled by default."
    )
    market: MarketSpec = section(MarketSpec, "Symbols, timeframes and data providers.")
    ollama: OllamaSpec = section(OllamaSpec, "The LLM served by Ollama.")
    storage: StorageSpec = section(StorageSpec, "Persistent volumes.")
    ingress: IngressSpec = section(IngressSpec, "Ingress of the UI and the APIs.")
    alerting: AlertingSpec = section(AlertingSpec, "Health alerts.")
    prepare: list[Annotated[str, StringConstraints(pattern=PREPARE_PATTERN)]] = Field(
        default_factory=lambda: list(DEFAULT_PREPARE),
        description="Models nhits, tcn and hmm train when they start without them, as "
        "SYMBOL:TIMEFRAME (e.g. BTCUSD:H1; passed as TS_JOBS_PREPARE); empty: a model is "
        "prepared only when a request asks for it.",
        json_schema_extra={"default": list(DEFAULT_PREPARE)},
    )

    @model_validator(mode="after")
    def _alerting_needs_a_destination(self) -> TradingStackSpec:
        a = self.alerting
        if a.enabled and a.telegram is None and not a.webhook_url:
            raise ValueError(_ALERT_RULE["message"])
        return self

    def workload(self, name: str) -> WorkloadSpec:
        """The settings of workload `name`."""
        value: WorkloadSpec = self.workloads.get(name)  # type: ignore[attr-defined]
        return value

    def enabled(self) -> list[catalog.Workload]:
        """The enabled workloads, in catalog order."""
        return [w for w in catalog.WORKLOADS if self.workload(w.name).enabled]


# ---- status -------------------------------------------------------------------------------


class Condition(_Model):
    """A status condition (Ready, Progressing, Degraded), as in Kubernetes' metav1.Condition."""

    type: str = Field(description="Ready, Progressing or Degraded.")
    status: Literal["True", "False", "Unknown"] = Field(description="True, False or Unknown.")
    reason: str = Field(description="One-word CamelCase reason.")
    message: str = Field(default="", description="What is going on, for a person.")
    last_transition_time: str = Field(description="When status last changed (RFC 3339).")
    observed_generation: int = Field(
        default=0, description="metadata.generation the condition was computed for."
    )


class ServiceStatus(_Model):
    """The state of one workload."""

    name: str = Field(description="Workload name.")
    enabled: bool = Field(description="Enabled in the spec.")
    desired_replicas: int = Field(description="Replicas asked for.")
    ready_replicas: int = Field(description="Pods ready.")
    gpu: int = Field(default=0, description="nvidia.com/gpu per pod.")
    ready: bool = Field(description="All desired pods ready, none pending.")
    message: str = Field(default="", description="Why it is not ready (e.g. unschedulable).")
    health: str | None = Field(
        default=None,
        description="Last health check: healthy, degraded, unhealthy, unreachable or error.",
    )
    healthy: bool | None = Field(default=None, description="Whether the last check passed.")
    version: str | None = Field(default=None, description="Version the service reports.")
    uptime_seconds: float | None = Field(default=None, description="Uptime it reports.")
    training_in_progress: bool | None = Field(
        default=None, description="Whether it reports a training in progress."
    )
    last_probe_time: str | None = Field(default=None, description="When it was last checked.")
    latency_seconds: float | None = Field(
        default=None, description="Latency of the last health request."
    )
    consecutive_failures: int | None = Field(
        default=None, description="Failed health checks in a row."
    )
    health_message: str | None = Field(default=None, description="Why the last check failed.")


class AlertState(_Model):
    """The last alert sent for one workload (persisted so a restart sends no repeat)."""

    down: bool = Field(description="Whether the last alert said the workload is down.")
    last_alert_time: str = Field(description="When the last alert was sent (RFC 3339).")
    last_down_alert_time: str | None = Field(
        default=None, description="When the last down alert was sent (the cooldown starts)."
    )


class TradingStackStatus(_Model):
    """The observed state, written by the operator."""

    observed_generation: int = Field(default=0, description="Last metadata.generation reconciled.")
    conditions: list[Condition] = Field(
        default_factory=list, description="Ready, Progressing and Degraded."
    )
    services: list[ServiceStatus] = Field(default_factory=list, description="Each workload.")
    services_ready: str = Field(default="", description="Ready/enabled workloads, e.g. 7/9.")
    url: str = Field(default="", description="Where the UI is served.")
    paused: bool = Field(default=False, description="Reconciliation paused by annotation.")
    alerts: dict[str, AlertState] = Field(
        default_factory=dict, description="Per workload: the last alert sent (watchdog state)."
    )
