"""The deployment files of a project made by ``receiver new`` (issue 14, item 8): the Dockerfile
runs ``receiver serve`` and checks ``/readyz``; ``docker-compose.yml`` runs two replicas sharing
one Redis; ``deploy/kubernetes.yaml`` passes the Kubernetes schemas, probes both routes and takes
its secrets from a Secret, never from the file; the README says how to deploy with each and how
to turn traces and metrics on. (Slow) the image's command, run here as the Dockerfile writes it,
serves, logs each call, passes its health check and stops with exit code 0 on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from receiver import tokens
from receiver.scaffold import DEFAULT_TYPES, parse_types, project_names, render_project
from receiver.testing import samples
from tests.conftest import stop_process
from tests.redis_server import free_port

BOUND = 30.0  # seconds a server started here may take to answer, or to stop
WEBHOOK_ID = "WBH-0000-0000"
SECRET = "deploy-test-secret-deploy-test-secret"  # a test value, never a generated one
# What the generated files may show where a secret goes: placeholders, never a value.
PLACEHOLDERS = ("<the webhook secret>", "replace-with-the-webhook-secret")


def project(types: str = "ValidatePurchaseOrderDraft") -> dict[PurePosixPath, str]:
    return render_project(project_names("acme-webhooks"), parse_types(types), receiver_spec="x")


def file(name: str, types: str = "ValidatePurchaseOrderDraft") -> str:
    return project(types)[PurePosixPath(name)]


def dockerfile_command(dockerfile: str) -> list[str]:
    (line,) = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    words = json.loads(line.removeprefix("CMD "))  # the exec form: SIGTERM reaches the server
    assert isinstance(words, list)
    return [str(word) for word in words]


def healthcheck_command(dockerfile: str) -> list[str]:
    joined = dockerfile.replace("\\\n", " ")
    (line,) = [line for line in joined.splitlines() if line.startswith("HEALTHCHECK ")]
    words = json.loads(line.split(" CMD ", 1)[1])
    assert isinstance(words, list)
    return [str(word) for word in words]


def manifest() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(file("deploy/kubernetes.yaml")) if doc]


def receiver_deployment() -> dict[str, Any]:
    (found,) = [
        doc
        for doc in manifest()
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "acme-webhooks"
    ]
    return found


# -- the files ----------------------------------------------------------------------------------


def test_every_project_gets_the_deployment_files() -> None:
    for types in ("ValidateAccount", "all"):
        files = project(types)
        for name in ("Dockerfile", "docker-compose.yml", "deploy/kubernetes.yaml"):
            assert PurePosixPath(name) in files
        assert PurePosixPath("tests/test_deploy.py") in files
    assert "$" not in file("deploy/kubernetes.yaml")  # every placeholder was filled
    assert "$" not in file("docker-compose.yml")


def test_the_image_runs_receiver_serve_and_checks_readiness() -> None:
    dockerfile = file("Dockerfile")
    command = dockerfile_command(dockerfile)
    assert command[:3] == ["receiver", "serve", "acme_webhooks.app:app"]
    assert "uvicorn" not in command  # plain uvicorn: no limits, no graceful exit code
    assert command[command.index("--port") + 1] == "8080"
    assert "EXPOSE 8080\n" in dockerfile
    check = healthcheck_command(dockerfile)
    assert check[:2] == ["python", "-c"]
    assert "'http://127.0.0.1:8080/readyz'" in check[2]
    assert "\nUSER receiver\n" in dockerfile
    assert 'RUN pip install ".[deploy]"\n' in dockerfile


def test_the_image_installs_the_shared_stores_client() -> None:
    pyproject = tomllib.loads(file("pyproject.toml"))
    extras = pyproject["project"]["optional-dependencies"]
    assert extras["deploy"] == ["mpt-receiver[redis]"]
    dev = {re.split(r"[<>=]", dep)[0] for dep in extras["dev"]}
    assert {"pyyaml", "types-PyYAML", "kubernetes-validate"} <= dev


def test_compose_runs_two_replicas_sharing_one_redis() -> None:
    services = yaml.safe_load(file("docker-compose.yml"))["services"]
    assert set(services) == {"redis", "receiver"}
    redis, receiver = services["redis"], services["receiver"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert receiver["build"] == "."
    assert receiver["deploy"]["replicas"] == 2
    assert receiver["environment"] == {"RECEIVER_STORE": "redis://redis:6379/0"}
    assert receiver["env_file"] == ".env"  # the secrets: never inline
    assert receiver["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert "/readyz" in " ".join(receiver["healthcheck"]["test"])
    # two replicas cannot publish the same host port
    assert receiver["ports"] == ["127.0.0.1:8080-8081:8080"]


@pytest.mark.parametrize(
    "document", manifest(), ids=lambda doc: f"{doc['kind']}/{doc['metadata']['name']}"
)
def test_the_manifest_passes_the_kubernetes_schemas(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def test_the_manifest_probes_both_routes_and_stops_gracefully() -> None:
    deployment = receiver_deployment()
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert deployment["spec"]["replicas"] == 2
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]
    command = dockerfile_command(file("Dockerfile"))
    graceful = float(command[command.index("--graceful-timeout") + 1])
    assert spec["terminationGracePeriodSeconds"] > 10 + graceful
    assert set(container["resources"]) == {"requests", "limits"}
    assert spec["securityContext"]["runAsNonRoot"] is True


def test_the_manifest_references_the_secret_and_never_holds_one() -> None:
    assert all(doc["kind"] != "Secret" for doc in manifest())
    (container,) = receiver_deployment()["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    for name in ("RECEIVER_SECRETS", "RECEIVER_STORE"):
        assert env[name]["valueFrom"] == {
            "secretKeyRef": {"name": "acme-webhooks-secrets", "key": name}
        }
    assert {name for name, item in env.items() if "value" in item} == {
        "RECEIVER_LOG_FORMAT",
        "OTEL_SERVICE_NAME",
    }


def test_no_generated_file_holds_a_secret_value() -> None:
    for path, text in project("all").items():
        for line in text.splitlines():
            if "RECEIVER_SECRETS=" in line and "{" in line and not path.name.startswith("test_"):
                assert any(placeholder in line for placeholder in PLACEHOLDERS), (path, line)


def test_the_readme_says_how_to_deploy_with_each() -> None:
    readme = file("README.md")
    deploy = readme.split("\n## Deploy\n", 1)[1]
    assert "docker compose up --build" in deploy
    assert "kubectl create secret generic acme-webhooks-secrets \\\n" in deploy
    secrets = """--from-literal=RECEIVER_SECRETS='{"WBH-0000-0000": "<the webhook secret>"}'"""
    assert secrets in deploy
    assert deploy.index("kubectl create secret") < deploy.index(
        "kubectl apply -f deploy/kubernetes.yaml"
    )
    # the names the receiver reads, so that users, docs and checks agree (issue 14)
    for name in (
        '"mpt-receiver[prometheus]"',
        '"mpt-receiver[otel]"',
        '"mpt-receiver[azure]"',
        "`RECEIVER_METRICS=1`",
        "`GET /_receiver/metrics`",
        "`OTEL_EXPORTER_OTLP_ENDPOINT`",
        "`APPLICATIONINSIGHTS_CONNECTION_STRING`",
        "`RECEIVER_LOG_FORMAT=json`",
    ):
        assert name in deploy, name


def test_the_readme_commands_match_the_manifest() -> None:
    readme = file("README.md")
    kubernetes = file("deploy/kubernetes.yaml")
    # The manifest's own instructions are the README's, word for word.
    for line in (
        "kubectl create secret generic acme-webhooks-secrets \\",
        "--from-literal=RECEIVER_STORE=redis://acme-webhooks-redis:6379/0",
        "kubectl apply -f deploy/kubernetes.yaml",
    ):
        assert line in readme
        assert line in kubernetes
    redis_service = [doc for doc in manifest() if doc["kind"] == "Service"][1]
    assert redis_service["metadata"]["name"] == "acme-webhooks-redis"


# -- the image's command, run here --------------------------------------------------------------


def here(words: list[str], port: int) -> list[str]:
    """A command of the image, run on this machine: the console script ``receiver`` from this
    interpreter, loopback instead of every interface, a free port instead of 8080."""
    if words[:1] == ["receiver"]:
        words = [sys.executable, "-m", "receiver.cli", *words[1:]]
    elif words[:1] == ["python"]:
        words = [sys.executable, *words[1:]]
    return [
        word.replace("0.0.0.0", "127.0.0.1").replace("8080", str(port))  # noqa: S104
        for word in words
    ]


def wait_until_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    stderr = stop_process(process, BOUND)
    raise AssertionError(f"The image's command did not turn ready in {BOUND} s:\n{stderr}")


@pytest.mark.slow
def test_the_images_command_serves_logs_passes_its_health_check_and_stops_cleanly(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    """What ``docker run`` and ``docker compose up`` would run, without Docker: the project's
    files as the image holds them, the Dockerfile's CMD and HEALTHCHECK, the secrets and the
    store from the environment as compose and Kubernetes pass them."""
    files = render_project(project_names("acme-webhooks"), DEFAULT_TYPES, receiver_spec="x")
    for relative, text in files.items():
        target = tmp_path.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    dockerfile = files[PurePosixPath("Dockerfile")]
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("RECEIVER_")}
    env |= {
        "RECEIVER_SECRETS": json.dumps({WEBHOOK_ID: SECRET}),
        "RECEIVER_STORE": f"{redis_url}?prefix={redis_prefix}",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        here(dockerfile_command(dockerfile), port),
        cwd=tmp_path,  # the image's WORKDIR: the package beside pyproject.toml
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        check = subprocess.run(
            here(healthcheck_command(dockerfile), port), capture_output=True, timeout=BOUND
        )
        assert check.returncode == 0, check.stderr
        compose = yaml.safe_load(files[PurePosixPath("docker-compose.yml")])
        compose_check = compose["services"]["receiver"]["healthcheck"]["test"]
        assert compose_check[0] == "CMD"
        check = subprocess.run(here(compose_check[1:], port), capture_output=True, timeout=BOUND)
        assert check.returncode == 0, check.stderr

        token = tokens.sign(SECRET, tokens.platform_claims(WEBHOOK_ID))
        answer = httpx.post(
            f"{base}/ValidatePurchaseOrderDraft",
            json=samples.purchase_order(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=BOUND,
        )
        assert answer.status_code == 200, answer.text
    finally:
        stderr = stop_process(process, BOUND)  # SIGTERM, as docker stop and Kubernetes send
    assert process.returncode == 0, stderr
    calls = [line for line in stderr.splitlines() if f"call webhook_id={WEBHOOK_ID}" in line]
    assert len(calls) == 1, stderr
    assert SECRET not in stderr
    assert "Traceback" not in stderr
