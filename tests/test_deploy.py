"""The deployment files: docker-compose.yml, Dockerfile, .env.example and `horn secrets init`.

`docker-compose config` (Debian's docker-compose, which .ci/run installs; it needs no engine)
checks the untouched file. The same checks are reproduced without it: variables are
interpolated as Compose does (`${VAR:?message}` fails), the result is validated against the
Compose specification's JSON schema (tests/data/compose-spec.json, Apache-2.0), and the
references Compose resolves (services, volumes, profiles) are checked. scripts/compose-smoke.sh
runs the stack in a real engine (docs/deploy.md records its last run).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SECRETS = {
    "REDIS_PASSWORD": "redis-secret-for-the-test-0123456789",
    "POSTGRES_PASSWORD": "postgres-secret-for-the-test-0123456789",
    "HORN_BOOTSTRAP_API_KEY": "horn_bootstrap_key_for_the_test_0123456789",
    "HORN_SERVING_TOKEN": "serving-token-for-the-test-0123456789",
}
HORN_IMAGE_SERVICES = {"secrets", "migrate", "api", "worker", "serving", "worker-gpu"}
SECRET_FILES = {
    "HORN_DATABASE_URL_FILE": "/run/horn-secrets/database_url",
    "HORN_BROKER_URL_FILE": "/run/horn-secrets/broker_url",
    "HORN_REDIS_URL_FILE": "/run/horn-secrets/redis_url",
    "HORN_SERVING_TOKEN_FILE": "/run/horn-secrets/serving_token",
}

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class InterpolationError(ValueError):
    """A required variable (`${VAR:?message}`) is unset or empty."""


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: `$$`, `$VAR`, `${VAR}`, `:-`, `-`, `:?`, `?`."""

    def replace(match: re.Match) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg")
        present = name in env
        empty = not env.get(name)
        if op in (":-", "-"):
            use_default = empty if op == ":-" else not present
            return arg if use_default else env[name]
        if op in (":?", "?"):
            missing = empty if op == ":?" else not present
            if missing:
                raise InterpolationError(f"required variable {name} is missing a value: {arg}")
        return env.get(name, "")

    return _VARIABLE.sub(replace, value)


def interpolate_all(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_all(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_all(item, env) for item in node]
    return node


def load_compose(env: dict[str, str] | None = None) -> dict:
    """The compose file as Compose reads it; with no `.env` and an empty shell by default."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    return interpolate_all(raw, env or {})


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def test_interpolation_follows_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $$SET $SET", env) == (
        "x d  d $SET x"
    )
    with pytest.raises(InterpolationError, match="set it"):
        interpolate("${EMPTY:?set it}", env)
    assert interpolate("${EMPTY?set it}", env) == ""


def test_compose_file_is_valid_against_the_compose_spec(compose):
    import jsonschema

    schema = json.loads((REPO_ROOT / "tests/data/compose-spec.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)

    services = compose["services"]
    declared_volumes = set(compose.get("volumes", {}))
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
            assert "gpu" not in services[dependency].get("profiles", []), (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("/", ".")) or source in declared_volumes, (name, volume)


def test_no_service_needs_a_secret_from_env():
    text = COMPOSE_FILE.read_text()
    assert ":?" not in text and "?}" not in text, "a variable is required"
    compose = load_compose({})
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        for secret in SECRETS:
            # Only the `secrets` service sees a pinned value (passed through, maybe unset).
            if name == "secrets":
                assert environment[secret] is None
            else:
                assert secret not in environment, (name, secret)
    # Every service built from Horn's image reads the URLs and the token from files.
    for name in HORN_IMAGE_SERVICES - {"secrets"}:
        environment = compose["services"][name]["environment"]
        assert SECRET_FILES.items() <= environment.items(), name
        assert "secrets:/run/horn-secrets:ro" in compose["services"][name]["volumes"], name
    assert compose["services"]["secrets"]["volumes"] == ["secrets:/run/horn-secrets"]


def test_real_docker_compose_config_accepts_the_untouched_file(skip_or_fail, tmp_path):
    docker_compose = shutil.which("docker-compose")
    if docker_compose is None:
        skip_or_fail("docker-compose is not installed (`apt-get install docker-compose`).")
    # A copy without `.env`, with a shell that pins nothing.
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    result = subprocess.run(
        [docker_compose, "config"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) >= {"secrets", "redis", "postgres", "api", "worker", "serving"}
    assert config["services"]["api"]["environment"]["HORN_BOOTSTRAP_API_KEY_FILE"] == (
        "/run/horn-secrets/bootstrap_api_key"
    )
    assert "POSTGRES_PASSWORD" not in config["services"]["postgres"]["environment"]


def subcommands_the_suite_runs() -> dict[str, list[str]]:
    """`horn` subcommands that tests start as real processes, with the files that do."""
    patterns = [
        re.compile(r"""["']server\.cli["'],\s*["']([a-z]+)["']"""),
        re.compile(r"""\bhorn\w*\(\s*["']([a-z]+)["']"""),
    ]
    found: dict[str, list[str]] = {}
    for path in sorted((REPO_ROOT / "tests").rglob("*.py")):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text()
        for pattern in patterns:
            for subcommand in pattern.findall(text):
                found.setdefault(subcommand, []).append(path.name)
    return found


def test_every_service_command_is_a_horn_subcommand_the_suite_runs(compose):
    import typer.main

    from server.cli import app

    cli = typer.main.get_command(app)
    suite_runs = subcommands_the_suite_runs()
    assert {"up", "api", "worker", "migrate"} <= set(suite_runs), suite_runs
    commands = {
        name: service["command"]
        for name, service in compose["services"].items()
        if name in HORN_IMAGE_SERVICES
    }
    assert set(commands) == HORN_IMAGE_SERVICES
    for name, command in commands.items():
        args = shlex.split(command) if isinstance(command, str) else list(command)
        assert args[0] == "horn", (name, args)
        assert args[1] in suite_runs, f"{name}: `horn {args[1]}` is never run by the tests"
        # The options parse as the real command line would parse them.
        cli.commands[args[1]].make_context(f"horn {args[1]}", args[2:])
    assert commands["worker"][2:] == ["--queues", "cpu", "--concurrency", "1"]
    assert commands["worker-gpu"][2:] == ["--queues", "gpu", "--concurrency", "1"]


def readme_install_command() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            command = line.split("&&")[0].strip()
            if command.startswith("python -m pip install") and "[" not in command:
                return command
    raise AssertionError("README.md has no `python -m pip install` command")


def dockerfile_stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions (continuation lines joined) by stage name."""
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            match = re.match(r"FROM \S+ AS (\S+)", line, re.I)
            assert match, f"every stage is named: {line}"
            current = stages.setdefault(match.group(1), [])
        current.append(line)
    return stages


def test_the_dockerfile_installs_with_the_readme_command():
    stages = dockerfile_stages()
    runs = [line.removeprefix("RUN ") for line in stages["builder"] if line.startswith("RUN ")]
    installs = [run for run in runs if "pip install" in run]
    # Dependencies first (a cached layer), then the README's command without them.
    assert len(installs) == 2
    assert "scripts/image_requirements.py ${HORN_GPU:+--gpu}" in installs[0]
    assert installs[1].startswith(
        readme_install_command().replace("pip install", "pip install --no-deps")
    )
    assert readme_install_command() == "python -m pip install -e ."
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert re.search(r'^gpu = \["tensorflow\[and-cuda\]', pyproject, re.M)


@pytest.mark.parametrize("gpu", [False, True])
def test_image_requirements_choose_one_tensorflow(gpu):
    import tomllib

    result = subprocess.run(
        [sys.executable, "scripts/image_requirements.py", *(["--gpu"] if gpu else [])],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    requirements = result.stdout.split()
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    tensorflows = [r for r in requirements if r.startswith("tensorflow")]
    if gpu:
        assert tensorflows == project["optional-dependencies"]["gpu"]
    else:  # the CPU image never downloads CUDA wheels
        assert tensorflows == ["tensorflow-cpu>=2.16,<3"]
    others = [r for r in project["dependencies"] if not r.startswith("tensorflow")]
    assert [r for r in requirements if not r.startswith("tensorflow")] == others


def test_the_image_is_multi_stage_non_root_with_a_healthcheck():
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert not text.startswith("# syntax"), "BuildKit would fetch a frontend from a registry"
    stages = dockerfile_stages()
    assert list(stages) == ["base", "builder", "app"]  # one builder for CPU and GPU
    app = stages["app"]
    users = [line.split()[1] for line in app if line.startswith("USER ")]
    assert users == ["horn"]
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in app)
    assert any("useradd" in line and "--uid 10001" in line for line in stages["base"])
    assert "COPY --from=builder /opt/venv /opt/venv" in app
    assert "ARG HORN_GPU=" in stages["builder"]
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".git", "tests", ".env", "horn-data", "*.egg-info"} <= set(ignored)


def setting_variables() -> set[str]:
    from server.config import Settings

    return {f"HORN_{name.upper()}" for name in Settings.model_fields}


def test_env_example_names_every_variable_and_no_secret_has_a_value():
    text = (REPO_ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?(HORN_[A-Z0-9_]+|[A-Z_]+_PASSWORD)=", text, re.M))
    missing = setting_variables() - named
    assert not missing, f".env.example lacks {sorted(missing)}"
    compose_text = COMPOSE_FILE.read_text()
    used_by_compose = set(re.findall(r"\$\{([A-Z_]+)", compose_text))
    assert used_by_compose <= named, sorted(used_by_compose - named)
    assert {"HORN_URL", "HORN_API_KEY"} <= named
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", text, re.M))
    assert {key: values[key] for key in SECRETS} == dict.fromkeys(SECRETS, "")


def test_services_pass_every_setting_through(compose):
    environment = compose["services"]["worker"]["environment"]
    from_files = {name.removesuffix("_FILE") for name in SECRET_FILES}
    assert setting_variables() - set(environment) == {
        "HORN_BOOTSTRAP_API_KEY",
        "HORN_SERVING_TOKEN",
    }
    assert from_files - {"HORN_SERVING_TOKEN"} <= set(environment)  # `.env` may still pin them
    api_environment = compose["services"]["api"]["environment"]
    assert setting_variables() - set(api_environment) == {
        "HORN_BOOTSTRAP_API_KEY",
        "HORN_SERVING_TOKEN",
    }
    assert api_environment["HORN_BOOTSTRAP_API_KEY_FILE"] == "/run/horn-secrets/bootstrap_api_key"
    assert environment["HORN_ENVIRONMENT"] == "production"
    serving = compose["services"]["serving"]
    assert serving["environment"]["HORN_SERVING_ADVERTISE_URL"] == "http://{ip}:8001"
    assert serving["command"] == ["horn", "serve", "--host", "0.0.0.0", "--port", "8001"]


def test_stores_api_and_ordering(compose):
    services = compose["services"]
    redis = services["redis"]
    assert redis["command"] == [
        "redis-server",
        "/run/horn-secrets/redis.conf",
        "--appendonly",
        "yes",
    ]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    postgres = services["postgres"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    assert (
        postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/horn-secrets/postgres_password"
    )
    for name in ("redis", "postgres"):
        assert services[name]["depends_on"]["secrets"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["restart"] == "no"
    assert services["secrets"]["restart"] == "no"
    api = services["api"]
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["ports"] == ["8000:8000"]
    # The API runs no user code and holds no privilege.
    assert "user" not in api and "cap_add" not in api
    for name in ("api", "worker", "serving", "worker-gpu"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
        assert "artifacts:/data" in services[name]["volumes"]


def duration_s(value: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(
        float(number) * units[unit] for number, unit in re.findall(r"([\d.]+)(ms|h|m|s)", value)
    )


def test_workers_are_hardened_and_gpu_workers_get_gpus(compose):
    services = compose["services"]
    justified = {"SETUID", "SETGID", "SYS_ADMIN", "SETPCAP", "CHOWN", "KILL", "DAC_OVERRIDE"}
    compose_lines = COMPOSE_FILE.read_text().splitlines()
    for name in ("worker", "serving", "worker-gpu"):
        worker = services[name]
        assert worker["read_only"] is True
        assert worker["cap_drop"] == ["ALL"]
        assert set(worker["cap_add"]) <= justified
        for capability in worker["cap_add"]:  # each one says why in a comment
            assert any(line.strip().startswith(f"- {capability} #") for line in compose_lines), (
                capability
            )
        assert "no-new-privileges:true" in worker["security_opt"]
        assert worker["tmpfs"] and worker["pids_limit"] > 0 and worker["mem_limit"]
        assert duration_s(worker["stop_grace_period"]) >= 60
    assert "profiles" not in services["worker"]
    gpu = services["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["build"]["args"] == {"HORN_GPU": "1"}
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
