# syntax=docker/dockerfile:1
# The TradingStack operator image: kopf + kubernetes_asyncio, no ML libraries.
#   docker build -f docker/operator.Dockerfile -t ghcr.io/tradingstack/tradingstack-operator:0.1.0 .
# `make images` builds this same file with buildah (hack/images.py), on a Debian base made by
# mmdebstrap. The build stages are the service image's (docker/service.Dockerfile) with the
# operator extra; only the last stage differs.
ARG BASE=docker.io/library/debian:bookworm-slim

FROM ${BASE} AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app

FROM runtime AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv \
    && rm -rf /var/lib/apt/lists/*
ARG UV_VERSION=0.13.9
# Behind a TLS-inspecting proxy, pass its CA bundle (make images passes the host's); unset, the
# usual roots are used. Build arguments reach the RUN steps only, never the image.
ARG SSL_CERT_FILE
ARG PIP_CERT
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON=/usr/bin/python3 UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_CACHE_DIR=/uv-cache
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --extra operator
COPY README.md ./
COPY services/ services/
COPY operator/ operator/
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-editable --extra operator

FROM runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOME=/tmp
LABEL org.opencontainers.image.title="tradingstack-operator" \
      org.opencontainers.image.description="The TradingStack Kubernetes operator (kopf)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/tradingstack/tradingstack" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "tradingstack_operator"]
CMD ["--all-namespaces", "--liveness=http://0.0.0.0:8080/healthz"]
