"""Where artifacts are kept: the local data dir, or S3-compatible object storage.

Every file Horn keeps has a key, the path relative to the data dir that the database already
stores (`tenants/<t>/datasets/<id>.npz`, `jobs/<id>/checkpoints/epoch-0001.keras`, ...). An
`ObjectStore` keeps the file under that key:

- `LocalObjectStore` (default, `horn up`): the file at `<data_dir>/<key>` *is* the stored
  object, so putting and fetching are no-ops and reading is reading the file.
- `S3ObjectStore` (`HORN_ARTIFACTS_URL=s3://bucket/prefix`): the object `<prefix>/<key>` in a
  bucket, so workers on several hosts need no shared folder. Each process keeps its data dir as
  a working area and cache: uploads are staged there, then put with boto3's managed (multipart)
  upload; files a box or a predictor needs are fetched into place there first.

A local copy fetched from S3 gets the object's size and last-modified time, which is how a later
`fetch` tells a current copy from a stale one without downloading it again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from server.config import parse_artifacts_url

CHUNK_SIZE = 1024 * 1024
# Objects at least this large are put in parts, several at once (boto3's managed transfer).
MULTIPART_THRESHOLD = 16 * 1024 * 1024


class ArtifactMissingError(FileNotFoundError):
    """The object of a key does not exist (deleted, or never written)."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"The artifact {key!r} is missing from the artifact store.")


class ArtifactStoreUnavailableError(RuntimeError):
    """The object storage cannot be used: unreachable, a wrong bucket or refused credentials.

    The message names the setting to check (`HORN_ARTIFACTS_URL`, `HORN_S3_ENDPOINT_URL`,
    `HORN_S3_ACCESS_KEY_ID` / `HORN_S3_SECRET_ACCESS_KEY`).
    """


@dataclass(frozen=True)
class ObjectInfo:
    """Size and last change of a stored object."""

    size_bytes: int
    modified: float


class ObjectStore:
    """Keeps files under keys (paths relative to the data dir); see the module docstring.

    Keys use `/` and never leave the data dir: `ArtifactStore` checks them before they get here.
    """

    is_remote = False

    def check(self) -> None:
        """Raises `ArtifactStoreUnavailableError` when the store cannot be used (at start)."""

    def put_file(self, key: str, local_path: Path) -> None:
        """Stores the complete file at `local_path` under `key` (replacing what was there)."""
        raise NotImplementedError

    def fetch(self, key: str, local_path: Path) -> None:
        """Makes `local_path` a current copy of the object `key`, downloading it if needed.

        Raises:
            ArtifactMissingError: no object has this key.
        """
        raise NotImplementedError

    def open_chunks(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Streams bytes `start` to `end` (inclusive; None: to the end) of an object.

        The object is opened before this returns, so a missing one raises here, not while
        the chunks are sent.

        Raises:
            ArtifactMissingError: no object has this key.
        """
        raise NotImplementedError

    def info(self, key: str) -> ObjectInfo | None:
        """Size and last change of the object `key`; None when there is none."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Deletes the object `key` and every object under `key/` (a job's folder)."""
        raise NotImplementedError


class LocalObjectStore(ObjectStore):
    """The data dir itself is the store: the object of `key` is the file `<root>/<key>`.

    Args:
        root: the data dir (already resolved).
    """

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key

    def put_file(self, key: str, local_path: Path) -> None:
        target = self._path(key)
        if Path(local_path) != target:
            shutil.copyfile(local_path, target)

    def fetch(self, key: str, local_path: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise ArtifactMissingError(key)
        if Path(local_path) != source:
            shutil.copyfile(source, local_path)

    def open_chunks(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        try:
            handle = open(self._path(key), "rb")  # noqa: SIM115 (closed by the generator)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ArtifactMissingError(key) from None
        return _file_chunks(handle, start, end)

    def info(self, key: str) -> ObjectInfo | None:
        try:
            info = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return ObjectInfo(size_bytes=info.st_size, modified=info.st_mtime)

    def delete(self, key: str) -> None:
        target = self._path(key)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)


def _file_chunks(handle: Any, start: int, end: int | None) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix, parsed from `HORN_ARTIFACTS_URL=s3://bucket/prefix`."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """Parses `s3://bucket` or `s3://bucket/some/prefix`.

        Raises:
            ValueError: not an `s3://` URL with a bucket.
        """
        bucket, prefix = parse_artifacts_url(url)
        return cls(bucket=bucket, prefix=prefix)

    def key(self, key: str) -> str:
        """The bucket's key of an artifact key."""
        return f"{self.prefix}/{key}" if self.prefix else key

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


class S3ObjectStore(ObjectStore):
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, moto), with boto3.

    Args:
        url: `s3://bucket/prefix` (HORN_ARTIFACTS_URL).
        endpoint_url: the service's URL for S3-compatible stores (HORN_S3_ENDPOINT_URL); empty
            for AWS.
        region: the region (HORN_S3_REGION); empty: boto3's default.
        access_key_id, secret_access_key: credentials (HORN_S3_ACCESS_KEY_ID,
            HORN_S3_SECRET_ACCESS_KEY); empty: boto3's credential chain (environment, profile,
            instance role).
        max_connections: the client's connection pool (the API's threads share one client).
    """

    is_remote = True

    def __init__(
        self,
        url: str,
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        max_connections: int = 50,
    ):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.location = S3Location.parse(url)
        self.endpoint_url = endpoint_url
        credentials = {}
        if access_key_id or secret_access_key:
            credentials = {
                "aws_access_key_id": access_key_id or None,
                "aws_secret_access_key": secret_access_key or None,
            }
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=max_connections,
                # Path-style addressing works with every S3-compatible server (MinIO, moto).
                s3={"addressing_style": "path"} if endpoint_url else None,
            ),
            **credentials,
        )
        self.transfer = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_THRESHOLD
        )
        self._key_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def check(self) -> None:
        with self._errors(None):
            self.client.head_bucket(Bucket=self.location.bucket)

    def put_file(self, key: str, local_path: Path) -> None:
        with self._errors(key):
            self.client.upload_file(
                str(local_path), self.location.bucket, self.location.key(key), Config=self.transfer
            )
        # The local copy now counts as current (see `fetch`).
        info = self.info(key)
        if info is not None:
            _stamp(local_path, info)

    def fetch(self, key: str, local_path: Path) -> None:
        with self._lock_for(key):
            info = self.info(key)
            if info is None:
                raise ArtifactMissingError(key)
            if _is_current(local_path, info):
                return
            local_path.parent.mkdir(parents=True, exist_ok=True)
            temp = local_path.parent / f".{local_path.name}.{secrets.token_hex(6)}.tmp"
            try:
                with self._errors(key):
                    answer = self.client.get_object(
                        Bucket=self.location.bucket, Key=self.location.key(key)
                    )
                    body = answer["Body"]
                    with body, open(temp, "xb") as out:
                        for chunk in body.iter_chunks(CHUNK_SIZE):
                            out.write(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                # A box's user reads inputs through a read-only bind: world-readable, in a
                # folder only Horn's user can enter.
                os.chmod(temp, 0o644)
                _stamp(temp, _info_of(answer))
                os.replace(temp, local_path)
            finally:
                temp.unlink(missing_ok=True)

    def open_chunks(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        request = {"Bucket": self.location.bucket, "Key": self.location.key(key)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        with self._errors(key):
            body = self.client.get_object(**request)["Body"]
        return self._body_chunks(key, body)

    def _body_chunks(self, key: str, body: Any) -> Iterator[bytes]:
        with body, self._errors(key):
            yield from body.iter_chunks(CHUNK_SIZE)

    def info(self, key: str) -> ObjectInfo | None:
        try:
            with self._errors(key):
                answer = self.client.head_object(
                    Bucket=self.location.bucket, Key=self.location.key(key)
                )
        except ArtifactMissingError:
            return None
        return _info_of(answer)

    def delete(self, key: str) -> None:
        bucket = self.location.bucket
        with self._errors(None):
            self.client.delete_object(Bucket=bucket, Key=self.location.key(key))
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=self.location.key(key) + "/"
            )
            for page in pages:
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(Bucket=bucket, Delete={"Objects": keys})

    def _lock_for(self, key: str) -> threading.Lock:
        """One download of a key at a time in this process (others wait, then find it)."""
        with self._locks_lock:
            if len(self._key_locks) > 10_000:
                self._key_locks = {k: v for k, v in self._key_locks.items() if v.locked()}
            return self._key_locks.setdefault(key, threading.Lock())

    @contextlib.contextmanager
    def _errors(self, key: str | None) -> Iterator[None]:
        """Turns boto3's errors into `ArtifactMissingError` or `ArtifactStoreUnavailableError`
        with a message that names the setting to check."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        where = f"the artifact store {self.location} (HORN_ARTIFACTS_URL)"
        endpoint = f" at HORN_S3_ENDPOINT_URL={self.endpoint_url}" if self.endpoint_url else ""
        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound") and key is not None:
                raise ArtifactMissingError(key) from None
            if code in ("NoSuchBucket", "404", "NotFound"):
                raise ArtifactStoreUnavailableError(
                    f"The bucket {self.location.bucket!r} of {where} does not exist{endpoint}. "
                    "Create it, or point HORN_ARTIFACTS_URL at an existing bucket."
                ) from None
            if code in (
                "403",
                "AccessDenied",
                "Forbidden",
                "InvalidAccessKeyId",
                "SignatureDoesNotMatch",
                "InvalidToken",
                "ExpiredToken",
            ):
                raise ArtifactStoreUnavailableError(
                    f"{where[0].upper()}{where[1:]} refused Horn's credentials ({code}). Check "
                    "HORN_S3_ACCESS_KEY_ID and HORN_S3_SECRET_ACCESS_KEY (or, with both unset, "
                    "boto3's credentials: AWS_* variables, profile, instance role) and the "
                    "bucket's permissions."
                ) from None
            raise ArtifactStoreUnavailableError(
                f"{where[0].upper()}{where[1:]} answered an error{endpoint}: {code}: "
                f"{error.response.get('Error', {}).get('Message', error)}"
            ) from None
        except (NoCredentialsError, PartialCredentialsError) as error:
            raise ArtifactStoreUnavailableError(
                f"No credentials for {where}: {error}. Set HORN_S3_ACCESS_KEY_ID and "
                "HORN_S3_SECRET_ACCESS_KEY, or boto3's AWS_* variables, profile or instance role."
            ) from None
        except EndpointConnectionError as error:
            raise ArtifactStoreUnavailableError(
                f"Cannot reach {where}{endpoint or ''}: {error}. Check HORN_S3_ENDPOINT_URL "
                "(and HORN_S3_REGION) and that the service is running."
            ) from None
        except S3UploadFailedError as error:
            text = str(error)
            if "NoSuchBucket" in text:
                raise ArtifactStoreUnavailableError(
                    f"The bucket {self.location.bucket!r} of {where} does not exist{endpoint}. "
                    "Create it, or point HORN_ARTIFACTS_URL at an existing bucket."
                ) from None
            raise ArtifactStoreUnavailableError(
                f"Uploading to {where} failed{endpoint}: {text}. Check HORN_S3_ENDPOINT_URL and "
                "the credentials (HORN_S3_ACCESS_KEY_ID, HORN_S3_SECRET_ACCESS_KEY)."
            ) from None
        except BotoCoreError as error:
            raise ArtifactStoreUnavailableError(
                f"Cannot use {where}{endpoint}: {type(error).__name__}: {error}. Check "
                "HORN_S3_ENDPOINT_URL and that the service is running."
            ) from None


def _info_of(answer: dict[str, Any]) -> ObjectInfo:
    modified = answer.get("LastModified")
    stamp = modified.timestamp() if isinstance(modified, datetime) else time.time()
    return ObjectInfo(size_bytes=int(answer["ContentLength"]), modified=stamp)


def _is_current(local_path: Path, info: ObjectInfo) -> bool:
    """Whether the local file has the object's size and last-modified second (see `_stamp`)."""
    try:
        local = local_path.stat()
    except OSError:
        return False
    return local.st_size == info.size_bytes and int(local.st_mtime) == int(info.modified)


def _stamp(local_path: Path, info: ObjectInfo) -> None:
    """Gives a local copy its object's last-modified time, what `_is_current` compares."""
    with contextlib.suppress(OSError):
        os.utime(local_path, (time.time(), int(info.modified)))


def make_object_store(settings: Any, root: Path) -> ObjectStore:
    """The object store the settings select: S3 with `HORN_ARTIFACTS_URL`, else the data dir."""
    if not settings.artifacts_url:
        return LocalObjectStore(root)
    return S3ObjectStore(
        settings.artifacts_url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        max_connections=max(10, settings.api_threads + 10),
    )
