# The TradingStack operator image: kopf + kubernetes_asyncio, no ML libraries.
#   docker build -f docker/operator.Dockerfile -t ghcr.io/tradingstack/tradingstack-operator:0.1.0 .
# (Not built in this repository's CI: there is no Docker engine there.)
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /usr/local/bin/uv
WORKDIR /src
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/venv
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra operator --no-install-project
COPY services/ services/
COPY operator/ operator/
RUN uv sync --frozen --no-dev --extra operator --no-editable

FROM python:3.11-slim
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --no-create-home app
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "tradingstack_operator"]
CMD ["--all-namespaces", "--liveness=http://0.0.0.0:8080/healthz"]
