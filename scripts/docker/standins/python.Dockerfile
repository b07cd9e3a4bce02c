# Stand-in for python:3.11-slim-bookworm (see scripts/docker/local-base-images.sh).
ARG BASE_IMAGE=horn-standin/debian:bookworm-slim
FROM ${BASE_IMAGE}
LABEL org.horn.standin=1 \
      org.horn.standin.replaces=python:3.11-slim-bookworm \
      org.horn.standin.contents="Debian bookworm python3 3.11, pip, venv"
ENV LANG=C.UTF-8 \
    PYTHON_VERSION=3.11.2
# This machine's CA bundle (it includes the CA of any TLS-intercepting proxy in the way), so
# pip, requests and Python's ssl verify PyPI the same way the machine that built this does.
COPY host-ca-bundle.crt /usr/local/share/horn-standin/host-ca-bundle.crt
ENV PIP_CERT=/usr/local/share/horn-standin/host-ca-bundle.crt \
    REQUESTS_CA_BUNDLE=/usr/local/share/horn-standin/host-ca-bundle.crt \
    SSL_CERT_FILE=/usr/local/share/horn-standin/host-ca-bundle.crt
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates python3 python3-pip python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    # The official image's interpreter is not "externally managed": `pip install` works globally.
    && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED \
    # The official image keeps python, python3, python3.11, pip and pip3 in /usr/local/bin.
    && for name in python python3 python3.11; do ln -s /usr/bin/python3.11 "/usr/local/bin/$name"; done \
    && for name in pip pip3 pip3.11; do ln -s /usr/bin/pip3 "/usr/local/bin/$name"; done \
    && python --version && pip --version
CMD ["python3"]
