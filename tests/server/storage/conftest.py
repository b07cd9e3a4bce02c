"""Fixtures of the artifact-storage tests: a real moto S3 server process and fresh buckets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.server.conftest import TEST_API_KEY

# moto accepts any credentials unless it enforces IAM; these only have to be present.
ACCESS_KEY_ID = "horn-test-access-key"
SECRET_ACCESS_KEY = "horn-test-secret-key"
REGION = "us-east-1"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MotoServer:
    """A running `python -m moto.server` (S3 and the rest of AWS, in memory)."""

    process: subprocess.Popen
    url: str

    def client(self, access_key_id: str = ACCESS_KEY_ID, secret: str = SECRET_ACCESS_KEY):
        """A boto3 S3 client of this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_moto(log: Path, **env: str) -> MotoServer:
    """Starts a moto server on a free port and waits until it answers."""
    import httpx

    try:
        import moto.server  # noqa: F401
    except ImportError as error:
        skip_or_fail(f"moto[server] is not installed ({error}).")
    port = free_port()
    handle = open(log, "wb")  # noqa: SIM115 (the process keeps it)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    server = MotoServer(process=process, url=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        try:
            httpx.get(f"{server.url}/moto-api/", timeout=2)
            return server
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "moto did not start in 60 s"
            time.sleep(0.2)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[MotoServer]:
    """One moto S3 server for the session (buckets keep the tests apart)."""
    server = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bucket(moto_server) -> str:
    """A fresh, empty bucket."""
    name = f"horn-{uuid.uuid4().hex[:12]}"
    moto_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_env(moto_server, bucket) -> dict[str, str]:
    """The HORN_* variables that point Horn at the bucket (under the prefix `artifacts`)."""
    return {
        "HORN_ARTIFACTS_URL": f"s3://{bucket}/artifacts",
        "HORN_S3_ENDPOINT_URL": moto_server.url,
        "HORN_S3_REGION": REGION,
        "HORN_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "HORN_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }


@pytest.fixture
def s3_settings(tmp_path, s3_env):
    """Settings on SQLite in a temporary data dir with artifacts in the bucket."""
    from server.config import Settings

    data_dir = tmp_path / "api-data"
    data_dir.mkdir()
    return Settings(
        data_dir=data_dir,
        database_url=None,
        broker_url="filesystem://",
        redis_url=None,
        bootstrap_api_key=TEST_API_KEY,
        predictor_warm_spares=0,
        max_upload_mb=1,
        auth_cache_s=0,
        artifacts_url=s3_env["HORN_ARTIFACTS_URL"],
        s3_endpoint_url=s3_env["HORN_S3_ENDPOINT_URL"],
        s3_region=REGION,
        s3_access_key_id=ACCESS_KEY_ID,
        s3_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture
def object_keys(moto_server, bucket):
    """`object_keys()`: every key in the test's bucket, sorted."""

    def keys() -> list[str]:
        pages = moto_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    return keys
