"""The deployment files: docker-compose.yml, Dockerfile and .env.example.

There is no Docker engine here, and `docker-compose` 1.x from PyPI does not install on Python
3.11+ (it needs PyYAML < 6, which no longer builds), so `docker-compose config` is reproduced:
variables are interpolated as Compose does (`${VAR:?message}` fails), the result is validated
against the Compose specification's JSON schema (tests/data/compose-spec.json, Apache-2.0), and
the references Compose resolves (services, volumes, profiles) are checked.
"""

from __future__ import annotations

import json
import re
import shlex
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
HORN_IMAGE_SERVICES = {"migrate", "api", "worker", "serving", "worker-gpu"}

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
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    return interpolate_all(raw, SECRETS if env is None else env)


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


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_compose_refuses_to_start_without_a_secret(secret):
    env = {key: value for key, value in SECRETS.items() if key != secret}
    with pytest.raises(InterpolationError, match=f"set {secret}"):
        load_compose(env)
    with pytest.raises(InterpolationError, match=f"set {secret}"):
        load_compose({**env, secret: ""})


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
    assert installs == [readme_install_command()]
    assert readme_install_command() == "python -m pip install -e ."
    gpu_installs = [line for line in stages["builder-gpu"] if "pip install" in line]
    assert gpu_installs == ['RUN python -m pip install -e ".[gpu]"']
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert re.search(r'^gpu = \["tensorflow\[and-cuda\]', pyproject, re.M)


def test_the_image_is_multi_stage_non_root_with_a_healthcheck():
    stages = dockerfile_stages()
    assert list(stages)[-1] == "cpu"  # `docker build .` gives the CPU image
    assert {"base", "builder", "builder-gpu", "app", "gpu", "cpu"} <= set(stages)
    app = stages["app"]
    users = [line.split()[1] for line in app if line.startswith("USER ")]
    assert users == ["horn"]
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in app)
    assert any("useradd" in line and "--uid 10001" in line for line in stages["base"])
    assert "COPY --from=builder-gpu /opt/venv /opt/venv" in stages["gpu"]
    assert "COPY --from=builder /opt/venv /opt/venv" in stages["cpu"]
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".git", "tests", ".env", "horn-data", "*.egg-info"} <= set(ignored)


def setting_variables() -> set[str]:
    from server.config import Settings

    return {f"HORN_{name.upper()}" for name in Settings.model_fields}


def test_env_example_names_every_variable_and_no_secret_has_a_value():
    text = (REPO_ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#? ?(HORN_[A-Z_]+|[A-Z_]+_PASSWORD)=", text, re.M))
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
    assert setting_variables() - set(environment) == {"HORN_BOOTSTRAP_API_KEY"}
    api_environment = compose["services"]["api"]["environment"]
    assert setting_variables() <= set(api_environment)
    assert environment["HORN_ENVIRONMENT"] == "production"
    assert environment["HORN_DATABASE_URL"].startswith("postgresql://horn:postgres-secret")
    assert environment["HORN_BROKER_URL"].startswith("redis://:redis-secret")
    assert api_environment["HORN_BOOTSTRAP_API_KEY"] == SECRETS["HORN_BOOTSTRAP_API_KEY"]


def test_stores_api_and_ordering(compose):
    services = compose["services"]
    redis = services["redis"]
    assert redis["command"][:3] == ["redis-server", "--appendonly", "yes"]
    assert "--requirepass" in redis["command"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    assert any(
        volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"]
    )
    assert services["migrate"]["restart"] == "no"
    api = services["api"]
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["ports"] == ["8000:8000"]
    for name in ("api", "worker", "worker-gpu"):
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
    assert gpu["build"]["target"] == "gpu"
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
