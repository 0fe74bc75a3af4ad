"""The deployment story: compose file, production settings, loud failures, CI entry point.

Settings are read once per process, so every settings scenario runs `manage.py` or
`python -c` in a subprocess with its own environment.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables that tests/testenv.py or a developer's shell may have set and that would change the
# scenario; each test sets what it needs explicitly. Empty values (rather than removal) are used
# where a local `.env` must not fill the gap: settings.py reads it with overwrite=False.
SETTINGS_VARS = re.findall(r"""env\.\w+\(\s*["']([A-Z0-9_]+)["']""", (BASE_DIR / "partybuild/settings.py").read_text())


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(values)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def command_of(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


# --- docker-compose.yml and the image ------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_defines_the_five_services(compose):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(compose["services"])


def test_web_runs_gunicorn_and_worker_and_beat_run_celery(compose):
    services = compose["services"]
    assert re.search(r"\bgunicorn\b.*\bpartybuild\.wsgi\b", command_of(services["web"]))
    assert re.search(r"\bcelery -A partybuild worker\b", command_of(services["worker"]))
    beat = command_of(services["beat"])
    assert re.search(r"\bcelery -A partybuild beat\b", beat)
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat


def test_app_services_wait_for_postgres_and_redis(compose):
    for name in ("web", "worker", "beat"):
        depends_on = compose["services"][name]["depends_on"]
        assert {"postgres", "redis"} <= set(depends_on), name
        if isinstance(depends_on, dict):
            assert depends_on["postgres"]["condition"] == "service_healthy", name
    for name in ("postgres", "redis"):
        assert "healthcheck" in compose["services"][name], name


def test_app_services_are_built_from_the_dockerfile_with_its_entrypoint(compose):
    for name in ("web", "worker", "beat"):
        build = compose["services"][name]["build"]
        context = BASE_DIR / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
        assert dockerfile.is_file(), name
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    entrypoint = re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", dockerfile, re.MULTILINE)
    assert entrypoint, "Dockerfile has no exec-form ENTRYPOINT"
    scripts = [arg for arg in json.loads(entrypoint.group(1)) if arg.startswith("/app/")]
    assert scripts, "the ENTRYPOINT names no script from the repository"
    for script in scripts:
        assert (BASE_DIR / script.removeprefix("/app/")).is_file(), script
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", dockerfile, re.MULTILINE)
    assert cmd, "Dockerfile has no exec-form CMD"
    assert json.loads(cmd.group(1))[:2] == ["gunicorn", "partybuild.wsgi"]


def test_the_image_copies_every_app_and_the_files_django_needs():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    copied = {src.rstrip("/") for src in re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+\s*$", dockerfile, re.MULTILINE)}
    apps = {path.parent.name for path in BASE_DIR.glob("*/apps.py")}
    needed = apps | {"manage.py", "partybuild", "templates", "static", "locale", "docker"}
    assert needed <= copied, f"Dockerfile does not COPY: {sorted(needed - copied)}"


# --- Settings ---------------------------------------------------------------------------------


def test_production_settings_pass_the_deploy_checks(tmp_path):
    env = clean_env(
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="party.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        REDIS_URL="",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper(), output
    assert "no issues" in output


def test_debug_off_without_secret_key_fails_loudly():
    # Empty rather than absent, so that a developer's .env cannot supply one.
    env = clean_env(DEBUG="False", SECRET_KEY="", ALLOWED_HOSTS="party.example.gov.cn")
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_checking_migrations_needs_no_secret_key_but_serving_still_does(tmp_path):
    env = clean_env(
        DEBUG="False", SECRET_KEY="", ALLOWED_HOSTS="party.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bare.sqlite3'}", REDIS_URL="",
    )  # fmt: skip
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    refused = run(["manage.py", "check"], env)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
from partybuild.celery import app
print(json.dumps({
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "celery_broker": app.conf.broker_url,
    "celery_eager": app.conf.task_always_eager,
}))
"""


def settings_with(**values: str) -> dict:
    env = clean_env(DEBUG="True", DJANGO_SETTINGS_MODULE="partybuild.settings", **values)
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_redis_tasks_run_in_process_and_the_cache_is_local():
    found = settings_with(REDIS_URL="")
    assert found["eager"] is True
    assert found["celery_eager"] is True
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_with_redis_celery_and_the_cache_use_it():
    url = "redis://redis.example:6379/3"
    found = settings_with(REDIS_URL=url)
    assert found["eager"] is False
    assert found["broker"] == url
    assert found["celery_broker"] == url
    assert found["cache"] == "core.cache.TolerantRedisCache"


def test_env_example_documents_every_variable_settings_reads():
    example = (BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert set(SETTINGS_VARS) <= documented, sorted(set(SETTINGS_VARS) - documented)


# --- Translations -----------------------------------------------------------------------------


def test_django_filter_speaks_simplified_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Any date") == "任意日期"
        assert translation.gettext("Multiple values may be separated by commas.") == "多个值可以用逗号分隔。"


# --- README and CI ----------------------------------------------------------------------------


def test_readme_shows_how_to_run_and_test():
    readme = (BASE_DIR / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme


def test_ci_runs_the_readme_test_command():
    ci = BASE_DIR / ".ci/run"
    assert os.access(ci, os.X_OK)
    script = ci.read_text()
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    assert re.search(r"^make test$", script, re.MULTILINE)


# --- make run ----------------------------------------------------------------------------------


def make_run_commands(**env: str) -> str:
    """The commands `make run` would run (make -n prints them without running anything)."""
    environment = {k: v for k, v in os.environ.items() if k != "PORT"} | env
    result = subprocess.run(
        ["make", "-n", "run"], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_serves_on_8000_or_the_port_asked_for():
    assert re.search(r"runserver 127\.0\.0\.1:8000$", make_run_commands(), re.MULTILINE)
    assert re.search(r"runserver 127\.0\.0\.1:8011$", make_run_commands(PORT="8011"), re.MULTILINE)
    readme = (BASE_DIR / "README.md").read_text()
    assert "PORT=8011 make run" in readme
