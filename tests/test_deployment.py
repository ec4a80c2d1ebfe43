"""The deployment files: docker-compose.yml validates and runs one image as web, worker, beat
and migrate; the Dockerfile builds that image the way the README promises."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("migrate", "web", "worker", "beat")
REQUIRED_ENV = {
    "SECRET_KEY": "dummy-secret-key-for-config-validation",
    "POSTGRES_PASSWORD": "dummy-postgres-password",
    "AQARI_BASE_DOMAIN": "crm.example.com",
    "RESEND_API_KEY": "re_dummy",
}


def _docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed; .ci/run installs it (apt docker-compose)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    return binary


def _compose_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED_ENV}
    env.update(REQUIRED_ENV)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_docker_compose(), "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_compose_file_validates_with_its_required_variables_set():
    result = _run_config(_compose_env())
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_a_required_secret():
    result = _run_config(_compose_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_app_services_share_one_image_and_build(compose):
    services = compose["services"]
    assert set(APP_SERVICES) <= set(services)
    images = {services[name].get("image") for name in APP_SERVICES}
    builds = {repr(services[name].get("build")) for name in APP_SERVICES}
    assert len(images) == 1 and None not in images, images
    assert len(builds) == 1, builds
    assert services["migrate"]["build"]["context"] == "."


def test_web_runs_gunicorn_and_each_service_its_command(compose):
    services = compose["services"]
    web = services["web"]["command"]
    assert web[0] == "gunicorn"
    assert "aqari.wsgi:application" in web
    assert "0.0.0.0:8000" in web
    worker = services["worker"]["command"]
    assert worker[:4] == ["celery", "-A", "aqari", "worker"]
    assert worker[worker.index("-Q") + 1] == "celery,outbound,inbound,ai,maintenance"
    assert services["beat"]["command"][:4] == ["celery", "-A", "aqari", "beat"]
    assert services["migrate"]["command"] == [
        "python",
        "manage.py",
        "aqari_setup",
        "--no-demo",
    ]


def test_app_services_wait_for_migrate_and_healthy_backing_services(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["migrate"]["restart"] == "no"
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name], name
        assert services[name]["volumes"], name
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    redis_command = services["redis"]["command"]
    assert "noeviction" in redis_command and "--appendonly" in redis_command


def test_app_configuration_comes_from_the_environment(compose):
    environment = compose["services"]["web"]["environment"]
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "AQARI_BASE_DOMAIN", "RESEND_API_KEY"):
        assert name in environment, name
    assert "${SECRET_KEY:?" in environment["SECRET_KEY"]
    assert "AQARI_DEBUG" not in environment


def test_dockerfile_installs_by_hash_and_runs_unprivileged():
    text = DOCKERFILE.read_text()
    assert "FROM python:3.11-slim" in text
    assert "pip install --require-hashes -r requirements/lock.txt" in text
    assert "collectstatic" in text
    user_lines = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1] not in {"root", "0"}
    assert ".venv" in (ROOT / ".dockerignore").read_text()


def _container_env(extra: dict[str, str]) -> dict[str, str]:
    """A production environment: no AQARI_DEBUG, only what the container would be given."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL") if key in os.environ}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "aqari.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_image_build_can_collect_static_files_with_its_throwaway_settings():
    run_line = next(
        line
        for line in DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
        if "collectstatic" in line
    )
    build_env = dict(
        token.split("=", 1) for token in shlex.split(run_line) if re.match(r"^[A-Z_]+=", token)
    )
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(build_env)
    result = _manage("collectstatic", "--noinput", "--dry-run", env=_container_env(build_env))
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_system_checks_with_the_compose_variables():
    env = _container_env(
        {
            **REQUIRED_ENV,
            "DATABASE_URL": "postgresql://aqari:dummy@postgres:5432/aqari",
            "REDIS_URL": "redis://redis:6379/0",
        }
    )
    result = _manage("check", "--deploy", "--fail-level", "ERROR", env=env)
    assert result.returncode == 0, result.stderr
