"""The deployment kit, validated offline (no container runtime here): the Dockerfile installs the package
the way `make` and CI do, the compose file and the Helm values parse with the structure that deployment
needs, and the three agree with deploy/dagster.yaml and pyproject on ports, modules and limits.

What this cannot prove (an image builds, the chart renders) needs Docker and Helm; the same processes
are proven directly by test_topology.py.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
MODULE = PYPROJECT["tool"]["dagster"]["module_name"]
LOCATION = PYPROJECT["tool"]["dagster"]["code_location_name"]
SECRETS = ("ZENDESK_CLIENT_SECRET", "ZENDESK_OAUTH_TOKEN", "ZENDESK_API_TOKEN", "PASSWORD")


def _yaml(path: str) -> Any:
    return yaml.safe_load((REPO / path).read_text())


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _pip_commands(commands: list[str], interpreter: str) -> list[list[str]]:
    """Each `pip install` in a list of shell commands, interpreter prefix normalised."""
    found = []
    for command in commands:
        for part in command.split("&&"):
            words = shlex.split(part.replace(interpreter, "python"))
            if words[:4] == ["python", "-m", "pip", "install"]:
                found.append(words)
    return found


def test_the_dockerfile_installs_as_make_and_ci_do_and_serves_the_code_location() -> None:
    steps = _dockerfile()
    base = next(args for op, args in steps if op == "FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base  # slim, pinned to a patch release
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"

    docker = _pip_commands([args for op, args in steps if op == "RUN"], "python")
    makefile = (REPO / "Makefile").read_text()
    recipe = [line.strip() for line in makefile.splitlines() if "pip install" in line]
    make = _pip_commands(recipe, "$(BIN)/python")
    assert docker and len(docker) == len(make)
    for ours, theirs in zip(docker, make, strict=True):
        # same command and flags; the image installs the package itself (not editable, k8s extra, no dev)
        assert ours[:-1] == [w for w in theirs[:-1] if w != "-e"], (ours, theirs)
        assert ours[-1] in (".[k8s]", "pip") and theirs[-1].split("[")[0] == ours[-1].split("[")[0]
    assert "dagster-k8s==0.29.27" in PYPROJECT["project"]["optional-dependencies"]["k8s"]

    assert ("USER", "10001:10001") in steps  # not root
    entrypoint = next(args for op, args in steps if op == "ENTRYPOINT")
    assert "umask 077" in entrypoint
    cmd = yaml.safe_load(next(args for op, args in steps if op == "CMD"))  # a JSON array
    assert cmd[:3] == ["dagster", "code-server", "start"]
    assert cmd[cmd.index("-m") + 1] == MODULE and cmd[cmd.index("--location-name") + 1] == LOCATION
    assert ("EXPOSE", cmd[cmd.index("-p") + 1]) in steps


def test_compose_runs_postgres_code_location_webserver_and_daemon_on_the_production_instance() -> None:
    compose = _yaml("docker-compose.yaml")
    services = compose["services"]
    assert set(services) == {"postgres", "code-location", "webserver", "daemon"}
    workspace = _yaml("deploy/workspace.yaml")["load_from"][0]["grpc_server"]
    assert workspace["host"] == "code-location" and workspace["location_name"] == LOCATION
    assert str(workspace["port"]) in (REPO / "Dockerfile").read_text()
    for name in ("code-location", "webserver", "daemon"):
        service = services[name]
        assert "./deploy/dagster.yaml:/opt/dagster/home/dagster.yaml:ro" in service["volumes"]
        assert service["environment"]["DAGSTER_PG_URL"].startswith("postgresql://")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["webserver"]["command"][0] == "dagster-webserver"
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    code = services["code-location"]["environment"]
    assert code["ZENDESK_DISTRIBUTED_RUNS"] == "1"
    assert code["ZENDESK_STATE_URL"].startswith("postgresql") and "postgresql" in code["WAREHOUSE_URL"]
    _assert_no_inline_secret(compose)


def test_helm_values_launch_runs_in_pods_from_our_image_with_secrets_from_kubernetes() -> None:
    values = _yaml("deploy/helm/values.yaml")
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    args = deployment["codeServerArgs"]
    assert args[args.index("-m") + 1] == MODULE and args[args.index("--location-name") + 1] == LOCATION
    assert str(deployment["port"]) in (REPO / "Dockerfile").read_text()
    assert deployment["podSecurityContext"]["runAsNonRoot"] is True
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    secret = deployment["envSecrets"][0]["name"]
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == [{"name": secret}]
    assert values["postgresql"]["postgresqlPassword"] == "" and values["generatePostgresqlPasswordSecret"] is False
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["ZENDESK_DISTRIBUTED_RUNS"] == "1"
    instance = _yaml("deploy/dagster.yaml")
    assert values["concurrency"]["pools"]["defaultLimit"] == instance["concurrency"]["pools"]["default_limit"] == 1
    assert values["concurrency"]["runs"]["maxConcurrentRuns"] == instance["concurrency"]["runs"]["max_concurrent_runs"]
    _assert_no_inline_secret(values)


def test_the_production_instance_keeps_its_state_in_postgres() -> None:
    instance = _yaml("deploy/dagster.yaml")
    assert instance["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert _yaml("dagster.yaml")["concurrency"]["pools"]["default_limit"] == 1  # the one-machine instance too


def _assert_no_inline_secret(tree: Any, path: str = "") -> None:
    """Secret-named settings hold only references (${VAR}, a secret's name), never a value."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            _assert_no_inline_secret(value, f"{path}.{key}")
            if any(s in str(key).upper() for s in SECRETS) and isinstance(value, str):
                assert value == "" or value.startswith("${"), f"{path}.{key} holds a value"
    elif isinstance(tree, list):
        for i, item in enumerate(tree):
            _assert_no_inline_secret(item, f"{path}[{i}]")
    elif isinstance(tree, str) and "://" in tree:
        assert not re.search(r"://[^:/@\s]+:(?!\$\{)[^@\s]+@", tree), f"{path}: a URL with a password"
