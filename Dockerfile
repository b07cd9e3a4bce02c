# syntax=docker/dockerfile:1
# Horn's image: one image runs `horn api`, `horn worker` and `horn migrate` (see docs/deploy.md).
#   docker build -t horn .                  CPU image (the default, last stage)
#   docker build -t horn-gpu --target gpu . CUDA-enabled TensorFlow (pip's `gpu` extra); the host
#                                           needs the NVIDIA driver and container toolkit.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# tini: PID 1 that forwards signals (a worker's warm shutdown on SIGTERM) and reaps runners.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 horn \
    && useradd --system --uid 10001 --gid horn --home-dir /app --shell /usr/sbin/nologin horn \
    && mkdir -p /data \
    && chown horn:horn /data

FROM base AS builder
RUN python -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY kerascore ./kerascore
COPY server ./server
# The README's install command, verbatim (tests/test_deploy.py checks it).
RUN python -m pip install -e .

FROM builder AS builder-gpu
RUN python -m pip install -e ".[gpu]"

# What both images share: a non-root user, the data volume, the health check, the entry point.
FROM base AS app
WORKDIR /app
ENV HORN_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
# The API's liveness; compose gives the worker its own check (it serves no HTTP).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
USER horn
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["horn", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM app AS gpu
COPY --from=builder-gpu /opt/venv /opt/venv
COPY --from=builder-gpu /app /app

FROM app AS cpu
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
