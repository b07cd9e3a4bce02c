# Horn's image: one image runs `horn api`, `horn worker`, `horn serve`, `horn migrate` and
# `horn secrets init` (see docs/deploy.md).
#   docker build -t horn .                                  CPU image (tensorflow-cpu)
#   docker build -t horn-gpu --build-arg HORN_GPU=1 .        CUDA-enabled TensorFlow (pyproject's
#                                                           `gpu` extra); the host needs the
#                                                           NVIDIA driver and container toolkit.
# No `# syntax` line and no BuildKit-only instruction: the legacy builder (DOCKER_BUILDKIT=0) and
# engines that reach no registry build it as well. One builder stage: a CPU build never fetches
# CUDA wheels, under either builder.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
# tini: PID 1 that forwards signals (a worker's warm shutdown on SIGTERM) and reaps runners.
# The sandbox needs nothing more: boxes are built with Python's own os.unshare and mount(2)
# calls (server/workers/box.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
    && groupadd --system --gid 10001 horn \
    && useradd --system --uid 10001 --gid horn --home-dir /app --shell /usr/sbin/nologin horn \
    && mkdir -p /data /run/horn-secrets \
    && chown horn:horn /data

FROM base AS builder
# Empty: tensorflow-cpu. Any value: tensorflow[and-cuda] (CUDA libraries from PyPI).
ARG HORN_GPU=
RUN python -m venv /opt/venv
WORKDIR /app
# Dependencies first, in a layer that code and README changes do not invalidate.
COPY pyproject.toml ./
COPY scripts/image_requirements.py ./scripts/
# TensorFlow also pulls in Keras (for `tf.keras`, which kerascore never uses) and libclang (for
# compiling ops): neither runs here.
RUN python scripts/image_requirements.py ${HORN_GPU:+--gpu} > /tmp/requirements.txt \
    && python -m pip install -r /tmp/requirements.txt \
    && python -m pip uninstall -y keras libclang namex optree \
    && rm /tmp/requirements.txt
COPY README.md ./
COPY kerascore ./kerascore
COPY server ./server
# The README's install command (tests/test_deploy.py checks it), with the dependencies above.
# Then what never runs here goes: TensorFlow's C++ headers (for compiling custom ops), the test
# suites of NumPy and h5py, and pip itself (nothing is installed at run time).
RUN python -m pip install --no-deps -e . \
    && cd /opt/venv/lib/python*/site-packages \
    && rm -rf tensorflow/include numpy/tests numpy/*/tests h5py/tests /app/scripts \
    && python -m pip uninstall -y pip wheel

# What runs: a non-root user, the data volume, the health check, the entry point.
FROM base AS app
WORKDIR /app
ENV HORN_DATA_DIR=/data
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
VOLUME ["/data"]
EXPOSE 8000
# The API's liveness; compose gives the other services their own checks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
USER horn
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["horn", "api", "--host", "0.0.0.0", "--port", "8000"]
