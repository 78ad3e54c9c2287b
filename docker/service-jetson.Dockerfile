# The service image for NVIDIA Jetson (AGX Thor, JetPack 7 / L4T r38, arm64, CUDA 13): the
# GPU workloads (nhits, tcn, embedder, rag) run on this one, tagged <tag>-jetson.
# PyTorch comes from NVIDIA's L4T PyTorch base image, not from PyPI: the project is installed
# without torch and uses the image's CUDA build.
#   docker buildx build --platform linux/arm64 -f docker/service-jetson.Dockerfile \
#     --build-arg BASE=nvcr.io/nvidia/l4t-pytorch:r38.2.0-pth2.8-py3 \
#     -t ghcr.io/tradingstack/tradingstack:0.1.0-jetson .
# (Not built in this repository's CI: there is no Docker engine there, and no arm64 GPU.)
ARG BASE=nvcr.io/nvidia/l4t-pytorch:r38.2.0-pth2.8-py3
FROM ${BASE}
ARG UV_VERSION=0.13.9
RUN python3 -m pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY services/ services/
COPY operator/ operator/
# Export the pinned requirements, drop torch (the base image's CUDA build is used), and install
# into the base image's Python so `import torch` finds NVIDIA's wheel.
RUN uv export --frozen --no-dev --no-hashes --extra data --extra forecast --extra knowledge \
        --no-emit-project -o /tmp/req.txt \
    && grep -v -E '^(torch|nvidia-|triton)' /tmp/req.txt > /tmp/req-jetson.txt \
    && uv pip install --system --no-cache -r /tmp/req-jetson.txt \
    && uv pip install --system --no-cache --no-deps . \
    && python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --no-create-home app
ENV PYTHONUNBUFFERED=1 HOME=/tmp
USER 10001:10001
ENTRYPOINT ["uvicorn", "--factory", "--host", "0.0.0.0"]
CMD ["tradingstack.nhits.app:create_app", "--port", "3002"]
