# The service image (CPU): every TradingStack service; the operator picks the workload with
# the container command (uvicorn --factory tradingstack.<name>.app:create_app).
#   docker build -f docker/service.Dockerfile -t ghcr.io/tradingstack/tradingstack:0.1.0 .
# Multi-arch (the Jetson is arm64): docker buildx build --platform linux/amd64,linux/arm64 ...
# (Not built in this repository's CI: there is no Docker engine there.)
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /usr/local/bin/uv
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/venv
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra data --extra forecast --extra knowledge \
    --no-install-project
COPY services/ services/
COPY operator/ operator/
RUN uv sync --frozen --no-dev --extra data --extra forecast --extra knowledge --no-editable

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --no-create-home app
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 HOME=/tmp
USER 10001:10001
# The root filesystem is read-only in the cluster: everything writable is under /tmp or a volume.
ENTRYPOINT ["uvicorn", "--factory", "--host", "0.0.0.0"]
CMD ["tradingstack.data.app:create_app", "--port", "3001"]
