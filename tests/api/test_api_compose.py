"""docker-compose.yml agrees with the code: the file is parsed and checked against the
settings, commands and ports the code reads. scripts/compose-check builds and runs it for
real (after the suite in .ci/run); these checks say which part of the file is wrong in
seconds."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml
from sqlalchemy.engine import make_url

from app.cli import COMMANDS
from app.settings import Settings
from tests.support.paths import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
GRADER_VARIABLES = {"AUTOGRADER_SANDBOX_DIR", "AUTOGRADER_SANDBOX_MAX_LIMITS"}
"""Variables the engine reads itself (grader/sandbox), not through Settings."""


def expand(value: str) -> str:
    """${NAME:-default} as Compose expands it when NAME is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def environment(service: str) -> dict[str, str]:
    """The service's variables with a value in the file (a variable given no value there is
    taken from the environment Compose runs in)."""
    return {k: expand(v) for k, v in SERVICES[service].get("environment", {}).items()
            if v is not None}


def passed_through(service: str) -> set[str]:
    return {k for k, v in SERVICES[service].get("environment", {}).items() if v is None}


def command(service: str) -> list[str]:
    value = SERVICES[service]["command"]
    return shlex.split(value) if isinstance(value, str) else list(value)


def test_the_five_services_are_there():
    assert set(SERVICES) == {"api", "worker", "deliveries", "redis", "postgres"}


@pytest.mark.parametrize("service", ["api", "worker", "deliveries"])
def test_every_autograder_variable_is_a_setting_and_the_settings_load(service):
    env = environment(service)
    fields = {f"AUTOGRADER_{name.upper()}" for name in Settings.model_fields}
    named = {k for k in [*env, *passed_through(service)] if k.startswith("AUTOGRADER_")}
    unknown = named - fields - GRADER_VARIABLES
    assert not unknown, f"{service} sets variables no code reads: {unknown}"
    values = {k.removeprefix("AUTOGRADER_").lower(): v for k, v in env.items()
              if k in fields}
    settings = Settings(_env_file=None, **values)  # production refuses unsafe defaults
    assert settings.environment == "production"


@pytest.mark.parametrize("service", ["api", "worker", "deliveries"])
def test_urls_point_at_the_compose_services(service):
    settings = {k: v for k, v in environment(service).items()}
    database = make_url(settings["AUTOGRADER_DATABASE_URL"])
    postgres = environment("postgres")
    assert database.get_backend_name() == "postgresql" and database.get_driver_name() == "psycopg"
    assert (database.host, database.port) == ("postgres", 5432)
    assert (database.username, database.password, database.database) == (
        postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"])
    broker = settings["AUTOGRADER_BROKER_URL"]
    assert broker.startswith("redis://redis:6379/")
    assert "redis-server" in command("redis")


def test_api_and_workers_share_one_configuration():
    shared = {"AUTOGRADER_DATABASE_URL", "AUTOGRADER_BROKER_URL", "AUTOGRADER_ENVIRONMENT"}
    api = environment("api")
    for name in ("worker", "deliveries"):
        assert {k: api[k] for k in shared} == {k: environment(name)[k] for k in shared}
        # The secrets and the report links come from the host, never from this file.
        assert {"AUTOGRADER_WEBHOOK_SECRETS", "AUTOGRADER_PUBLIC_URL",
                "AUTOGRADER_WEBHOOK_ALLOWED_NETWORKS"} <= passed_through(name)
    assert passed_through("api") == passed_through("deliveries")


def test_webhooks_go_out_from_the_delivery_worker_in_the_apis_image():
    deliveries = SERVICES["deliveries"]
    assert command("deliveries") == ["autograder", "worker", "--deliveries"]
    assert deliveries["image"] == SERVICES["api"]["image"]
    assert deliveries["build"] == SERVICES["api"]["build"]


def test_api_serves_on_the_published_port_of_the_hosts_loopback_only():
    argv = command("api")
    assert argv[:2] == ["autograder", "serve"] and "serve" in COMMANDS
    port = argv[argv.index("--port") + 1]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    published = [expand(p).split(":") for p in SERVICES["api"]["ports"]]
    assert published == [["127.0.0.1", "8000", port]]


def test_only_the_api_and_the_webhooks_leave_the_internal_network():
    assert COMPOSE["networks"]["internal"] == {"internal": True}
    for name, service in SERVICES.items():
        expected = ["internal", "edge"] if name in ("api", "deliveries") else ["internal"]
        assert service["networks"] == expected, name
        assert "ports" not in service or name == "api"


def test_bases_are_the_public_images_unless_a_variable_says_otherwise():
    assert expand(SERVICES["redis"]["image"]) == "redis:7-alpine"
    assert expand(SERVICES["postgres"]["image"]) == "postgres:16-alpine"
    for name in ("api", "worker"):
        build = SERVICES[name]["build"]
        assert expand(build["args"]["PYTHON_IMAGE"]) == "python:3.11-slim-bookworm"
        dockerfile = (REPO_ROOT / build["dockerfile"]).read_text()
        assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in dockerfile


def test_worker_scales():
    worker = SERVICES["worker"]
    assert command("worker") == ["autograder", "worker"] and "worker" in COMMANDS
    # --scale worker=N needs no fixed name and no host port (N containers cannot share one).
    assert "container_name" not in worker and "ports" not in worker
    assert environment("worker")["AUTOGRADER_WORKER_CONCURRENCY"] == "1"


def test_worker_image_has_the_sandbox_and_the_grading_environment():
    dockerfile = (REPO_ROOT / SERVICES["worker"]["build"]["dockerfile"]).read_text()
    assert "bubblewrap" in dockerfile
    for path in ("app", "grader", "hidden_tests"):
        assert f"COPY {path} " in dockerfile
    # With torch, from the wheelhouse only (scripts/wheelhouse worker).
    assert "pip install --no-index --find-links /wheels -e '.[server]'" in dockerfile
    assert "COPY .wheelhouse/worker " in dockerfile
    # The container privileges the sandbox needs (docs/threat-model.md; README says what
    # fails without each), not `privileged`. No `cgroup:` key: Compose 1.29 refuses it.
    worker = SERVICES["worker"]
    assert "privileged" not in worker and worker["cap_add"] == ["SYS_ADMIN"]
    # Not systempaths=unconfined either: Compose 1.29 cannot pass it; the entrypoint uncovers
    # /proc itself (docker/worker-entrypoint.sh).
    assert set(worker["security_opt"]) == {"seccomp=unconfined", "apparmor=unconfined"}
    assert 'ENTRYPOINT ["worker-entrypoint"]' in dockerfile
    assert "cgroup" not in worker and worker["volumes"] == ["/sys/fs/cgroup:/sys/fs/cgroup:rw"]


def test_api_image_installs_the_api_extra_only_and_runs_as_a_user():
    dockerfile = (REPO_ROOT / SERVICES["api"]["build"]["dockerfile"]).read_text()
    assert "pip install --no-index --find-links /wheels -e '.[api]'" in dockerfile
    assert "COPY app " in dockerfile and "EXPOSE 8000" in dockerfile
    assert "\nUSER autograder\n" in dockerfile


def test_the_package_alone_is_the_client_and_setup_installs_the_server():
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert [d.split(">")[0] for d in project["dependencies"]] == ["httpx"]
    extras = project["optional-dependencies"]
    api, server = " ".join(extras["api"]), " ".join(extras["server"])
    assert "fastapi" in api and "celery" in api and "torch" not in api
    assert "autograder[api]" in extras["server"] and "torch==" in server
    assert "'.[server,dev]'" in (REPO_ROOT / "scripts" / "setup").read_text()
    workflow = (REPO_ROOT / "docs" / "ci-example.yml").read_text()
    assert "pip install \"autograder @" in workflow and "[server]" not in workflow


def test_ci_example_runs_a_submit_the_client_accepts():
    import argparse

    from app.commands import submit

    workflow = yaml.safe_load((REPO_ROOT / "docs" / "ci-example.yml").read_text())
    runs = [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
            if "autograder submit" in step.get("run", "")]
    assert len(runs) == 1
    argv = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", runs[0]))
    parser = argparse.ArgumentParser()
    submit.add_arguments(parser)
    args = parser.parse_args(argv[2:])
    assert args.mlp == "mlp.py" and args.gd == "gd.py" and args.junit and args.wait
