"""Horn's configuration: every knob is a `HORN_*` environment variable."""

from __future__ import annotations

import functools
import os
import urllib.parse
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "horn", "test", "dev", "default"}
)


class SecretFileSource(PydanticBaseSettingsSource):
    """Reads `HORN_<NAME>_FILE`: a file whose content (trailing newline removed) is the value.

    Docker and Kubernetes hand secrets over as files; compose's one-shot `secrets` service
    writes them. `HORN_<NAME>` itself, when set, wins over the file.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        variable = f"HORN_{field_name.upper()}_FILE"
        path = os.environ.get(variable)
        if not path:
            return None, field_name, False
        try:
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise ValueError(
                f"{variable}={path} cannot be read ({error.strerror}). Point it at a readable "
                f"file holding the value of HORN_{field_name.upper()}, or unset it."
            ) from error
        return value, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, _, _ = self.get_field_value(field, field_name)
            if value is not None:
                values[field_name] = value
        return values


class Settings(BaseSettings):
    """Settings of the API, the workers and the CLI, read from `HORN_*` environment variables.

    Every setting can also come from a file named by `HORN_<NAME>_FILE` (Docker secrets); the
    variable itself wins when both are set.

    Attributes:
        data_dir: `HORN_DATA_DIR`, root of every file Horn keeps (datasets, model sources,
            checkpoints, logs, the SQLite database and the embedded broker's folders); with
            `HORN_ARTIFACTS_URL` the artifacts live in the bucket and this folder is the
            process's working area and cache. Default `./horn-data`.
        artifacts_url: `HORN_ARTIFACTS_URL`, where datasets, model sources, checkpoints and logs
            are kept. Default empty: files under the data dir (one machine, or a shared
            volume). `s3://bucket/prefix` keeps them in S3-compatible object storage, so
            workers on several hosts need no shared folder; each process then uses its data
            dir as working area and cache. The bucket must exist.
        s3_endpoint_url: `HORN_S3_ENDPOINT_URL`, the S3 service's URL for S3-compatible stores
            (MinIO `http://minio:9000`, Cloudflare R2, moto). Default empty: AWS S3.
        s3_region: `HORN_S3_REGION`, the bucket's region. Default empty: boto3's default
            (`AWS_DEFAULT_REGION`, the profile).
        s3_access_key_id / s3_secret_access_key: `HORN_S3_ACCESS_KEY_ID`,
            `HORN_S3_SECRET_ACCESS_KEY`, the credentials for the bucket. Default empty:
            boto3's credential chain (`AWS_*` variables, profile, instance role).
        database_url: `HORN_DATABASE_URL`, SQLAlchemy URL of the database. Default: a SQLite file
            `horn.db` in the data dir. `postgresql://user:pass@host/db` uses psycopg 3.
        broker_url: `HORN_BROKER_URL`, Celery broker. Default `filesystem://`: kombu's
            filesystem transport in `<data_dir>/broker`, which needs no server (one machine).
            Use `redis://host:6379/0` when workers run on several hosts.
        redis_url: `HORN_REDIS_URL`, optional. When set, the live event bus uses Redis Streams
            instead of the database.
        redis_events_maxlen: `HORN_REDIS_EVENTS_MAXLEN`, approximate cap on events kept per job in
            Redis. Default 100000.
        max_upload_mb: `HORN_MAX_UPLOAD_MB`, largest accepted dataset upload in MiB; a larger
            upload answers 413 as soon as the limit is passed while streaming. Default 200.
        max_source_kb: `HORN_MAX_SOURCE_KB`, largest accepted model source in KiB. Default 1024.
        job_max_runtime_s: `HORN_JOB_MAX_RUNTIME_S`, default and upper bound of a job's
            `max_runtime_s`; a job running longer is stopped and fails with reason `timeout`.
            Default 3600.
        bootstrap_api_key: `HORN_BOOTSTRAP_API_KEY`, optional. The API stores this key on start
            for the tenant `HORN_BOOTSTRAP_TENANT` if it does not exist yet (compose, tests).
        bootstrap_tenant: `HORN_BOOTSTRAP_TENANT`, tenant of the bootstrap key. Default `default`.
        lease_seconds: `HORN_LEASE_SECONDS`, how long a worker's claim on a job lasts without a
            heartbeat; an expired lease lets the reconciler re-enqueue the job. Default 30.
        heartbeat_s: `HORN_HEARTBEAT_S`, seconds between a worker's lease renewals (and
            cancellation checks). Default 2.
        reconcile_interval_s: `HORN_RECONCILE_INTERVAL_S`, seconds between reconciler passes.
            Default 15.
        queued_timeout_s: `HORN_QUEUED_TIMEOUT_S`, a job still `queued` and unclaimed this long
            after it was enqueued is enqueued again. Default 300.
        max_attempts: `HORN_MAX_ATTEMPTS`, attempts of one job before it fails with reason
            `too_many_attempts`. Default 3.
        tenant_max_running_jobs: `HORN_TENANT_MAX_RUNNING_JOBS`, jobs one tenant may run at
            once (sweep trials included); more wait, queued. `horn tenants limit` overrides it
            per tenant. 0: no limit. Default 0.
        sandbox_network: `HORN_SANDBOX_NETWORK`, give every box an empty network namespace (no
            network at all). Default true.
        sandbox_memory_mb: `HORN_SANDBOX_MEMORY_MB`, memory of one box (runner or predictor) in
            MiB: cgroup memory.max where the host allows one, else (without GPUs) an
            address-space limit of this plus 4 GiB. A job over it fails with reason
            `out_of_memory`. 0: none. Default 4096.
        sandbox_max_processes: `HORN_SANDBOX_MAX_PROCESSES`, processes and threads in one box
            (TensorFlow starts a thread per core and more); over it: `too_many_processes`.
            Default 512.
        sandbox_disk_mb: `HORN_SANDBOX_DISK_MB`, bytes a box may keep in its work folder; over
            it: `disk_quota`. Default 4096.
        sandbox_tmp_mb: `HORN_SANDBOX_TMP_MB`, size of a box's private /tmp (a tmpfs, in
            memory). Default 256.
        sandbox_log_mb: `HORN_SANDBOX_LOG_MB`, bytes of a job's log; later output is dropped
            with a note. Default 64.
        sandbox_uid_first / sandbox_uid_count: `HORN_SANDBOX_UID_FIRST`, `HORN_SANDBOX_UID_COUNT`,
            the uids boxes run as when Horn runs as root, one per running box on this host.
            Default 2100000000 and 65536.
        sandbox_keep_work_h: `HORN_SANDBOX_KEEP_WORK_H`, hours a finished job's work folder is
            kept for debugging (0: removed when the attempt ends). Default 0.
        worker_gpus: `HORN_WORKER_GPUS` (or `horn worker --gpus`), the GPU indices a worker
            hands out, a disjoint set per running job (`0,1,2,3`); `auto` asks `nvidia-smi`,
            `none` hands out none. A job asking for more GPUs than every live worker has is
            refused with 422. Default `auto`.
        worker_warm_runners: `HORN_WORKER_WARM_RUNNERS`, spare runners each worker pool process
            keeps, each in an empty box of its own with TensorFlow imported; a CPU job takes one
            and starts training without waiting for the import. 0 starts a fresh runner for
            every attempt. Default 1.
        runner_max_file_mb: `HORN_RUNNER_MAX_FILE_MB`, largest file a runner may write, in MiB.
            Default 2048.
        runner_open_files: `HORN_RUNNER_OPEN_FILES`, open-file limit of a runner. Default 1024.
        serving_url: `HORN_SERVING_URL`, where the serving process (which owns the predictors)
            listens, `http://host:port`. Default empty: a Unix socket `<data_dir>/run/serving.sock`
            (one machine, `horn up`).
        serving_token: `HORN_SERVING_TOKEN`, shared secret the API sends to a serving process on
            `HORN_SERVING_URL`; required with it. Default empty.
        serving_advertise_url: `HORN_SERVING_ADVERTISE_URL`, the URL under which API processes
            reach this serving process; with `HORN_REDIS_URL` it registers there and the API
            spreads predictions over every registered one. Default: `HORN_SERVING_URL`.
        predictor_idle_s: `HORN_PREDICTOR_IDLE_S`, a predictor process unused this long is
            stopped. Default 600.
        predictor_max_processes: `HORN_PREDICTOR_MAX_PROCESSES`, most predictor processes kept
            alive at once (least recently used stopped first). Default 4.
        predictor_warm_spares: `HORN_PREDICTOR_WARM_SPARES`, predictor processes started ahead of
            need (TensorFlow imported) so a first prediction does not wait for it; 0 starts
            them on demand. Default 1.
        predictor_max_queue: `HORN_PREDICTOR_MAX_QUEUE`, requests waiting for one predictor; more
            answer 503 with Retry-After (back-pressure instead of an ever longer wait).
            Default 1024.
        predictor_max_batch: `HORN_PREDICTOR_MAX_BATCH`, largest micro-batch a predictor runs.
            Default 256.
        predictor_batch_wait_ms: `HORN_PREDICTOR_BATCH_WAIT_MS`, how long a predictor waits for
            more requests before it runs a micro-batch. Default 0: it runs what is queued at
            once, and requests that arrive meanwhile form the next batch.
        predictor_timeout_s: `HORN_PREDICTOR_TIMEOUT_S`, longest a prediction request (including
            the predictor's start) may take. Default 120.
        predict_max_instances: `HORN_PREDICT_MAX_INSTANCES`, most rows in one predict request.
            Default 10000.
        predict_max_body_mb: `HORN_PREDICT_MAX_BODY_MB`, largest predict request body in MiB.
            Default 32.
        auth_cache_s: `HORN_AUTH_CACHE_S`, seconds the API remembers a validated API key, so
            a revoked key may keep working this long (0: check every request). Default 5.
        auth_failures_per_minute: `HORN_AUTH_FAILURES_PER_MINUTE`, wrong or missing API keys
            (and sign-ins) one client address may send per minute; more answer 429 with
            Retry-After, without the key being checked. Default 30.
        api_threads: `HORN_API_THREADS`, threads the API runs its database work in. Default 40.
        api_db_connections: `HORN_API_DB_CONNECTIONS`, database connections the API keeps at
            most; sized with `api_threads` (default: the same, 40), so a thread never waits
            for a connection held by a request that waits for a thread.
        api_db_wait_s: `HORN_API_DB_WAIT_S`, longest a request waits for a free database
            connection before it answers 503 with Retry-After. Default 5.
        metrics_token: `HORN_METRICS_TOKEN`, bearer token that `/metrics` requires (it counts
            every tenant's jobs). Unset: `/metrics` answers loopback clients only.
        sse_heartbeat_s: `HORN_SSE_HEARTBEAT_S`, seconds between keep-alive comments on an
            event stream. Default 15.
        environment: `HORN_ENVIRONMENT`, `development` or `production`. Production refuses
            placeholder secrets (e.g. a bootstrap key `changeme`, or shorter than 20 chars).
    """

    model_config = SettingsConfigDict(env_prefix="HORN_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, SecretFileSource(settings_cls))

    data_dir: Path = Path("./horn-data")
    artifacts_url: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    database_url: str | None = None
    broker_url: str = "filesystem://"
    redis_url: str | None = None
    redis_events_maxlen: int = Field(100_000, ge=100)
    max_upload_mb: float = Field(200, gt=0)
    max_source_kb: float = Field(1024, gt=0)
    job_max_runtime_s: int = Field(3600, ge=1)
    bootstrap_api_key: str | None = None
    bootstrap_tenant: str = "default"
    lease_seconds: int = Field(30, ge=2)
    heartbeat_s: float = Field(2, gt=0)
    reconcile_interval_s: float = Field(15, gt=0)
    queued_timeout_s: float = Field(300, gt=0)
    max_attempts: int = Field(3, ge=1)
    tenant_max_running_jobs: int = Field(0, ge=0)
    sandbox_network: bool = True
    sandbox_memory_mb: int = Field(4096, ge=0)
    sandbox_max_processes: int = Field(512, ge=0)
    sandbox_disk_mb: int = Field(4096, ge=0)
    sandbox_tmp_mb: int = Field(256, ge=16)
    sandbox_log_mb: int = Field(64, ge=1)
    sandbox_uid_first: int = Field(2_100_000_000, ge=1000, le=4_000_000_000)
    sandbox_uid_count: int = Field(65536, ge=1)
    sandbox_keep_work_h: float = Field(0, ge=0)
    worker_gpus: str = "auto"
    worker_warm_runners: int = Field(1, ge=0)
    runner_max_file_mb: int = Field(2048, ge=1)
    runner_open_files: int = Field(1024, ge=16)
    serving_url: str = ""
    serving_token: str = ""
    serving_advertise_url: str = ""
    predictor_idle_s: float = Field(600, gt=0)
    predictor_max_processes: int = Field(4, ge=1)
    predictor_warm_spares: int = Field(1, ge=0)
    predictor_max_batch: int = Field(256, ge=1)
    predictor_max_queue: int = Field(1024, ge=1)
    predictor_batch_wait_ms: float = Field(0, ge=0)
    predictor_timeout_s: float = Field(120, gt=0)
    predict_max_instances: int = Field(10_000, ge=1)
    predict_max_body_mb: float = Field(32, gt=0)
    auth_cache_s: float = Field(5, ge=0)
    auth_failures_per_minute: int = Field(30, ge=1)
    metrics_token: str = ""
    api_threads: int = Field(40, ge=1, le=1000)
    api_db_connections: int = Field(40, ge=1, le=1000)
    api_db_wait_s: float = Field(5, gt=0)
    sse_heartbeat_s: float = Field(15, gt=0)
    environment: Literal["development", "production"] = "development"

    @model_validator(mode="after")
    def _fill_defaults_and_check_secrets(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if self.artifacts_url:
            parse_artifacts_url(self.artifacts_url)
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'horn.db').as_posix()}"
        if self.environment == "production" and self.bootstrap_api_key is not None:
            key = self.bootstrap_api_key
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < 20:
                raise ValueError(
                    "HORN_BOOTSTRAP_API_KEY is a placeholder or shorter than 20 characters, "
                    "which is refused when HORN_ENVIRONMENT=production. Set a long random key "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
                )
        return self

    @property
    def max_upload_bytes(self) -> int:
        """`max_upload_mb` in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_source_bytes(self) -> int:
        """`max_source_kb` in bytes."""
        return int(self.max_source_kb * 1024)

    @property
    def is_filesystem_broker(self) -> bool:
        """Whether the broker is kombu's filesystem transport (the embedded default)."""
        return self.broker_url.startswith("filesystem:")

    @property
    def broker_dir(self) -> Path:
        """Folder of the embedded filesystem broker: `<data_dir>/broker`."""
        return self.data_dir / "broker"

    @property
    def broker_transport_options(self) -> dict[str, str]:
        """Kombu options of the filesystem broker (its folders are created); `{}` otherwise."""
        if not self.is_filesystem_broker:
            return {}
        folders = {
            "data_folder_in": self.broker_dir / "queue",
            "data_folder_out": self.broker_dir / "queue",
            "processed_folder": self.broker_dir / "processed",
            "control_folder": self.broker_dir / "control",
        }
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        return {name: str(folder) for name, folder in folders.items()}


def parse_artifacts_url(url: str) -> tuple[str, str]:
    """The bucket and key prefix of `HORN_ARTIFACTS_URL=s3://bucket/optional/prefix`.

    Raises:
        ValueError: not an `s3://` URL with a bucket.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            "Expected HORN_ARTIFACTS_URL to be empty (files in HORN_DATA_DIR) or "
            f"s3://bucket/optional/prefix. Received: {url!r}"
        )
    return parts.netloc, parts.path.strip("/")


@functools.lru_cache
def get_settings() -> Settings:
    """Returns the process-wide settings, read from the environment once."""
    return Settings()
