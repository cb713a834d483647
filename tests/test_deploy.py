"""`encaisse check --deploy` passes with the production environment documented in
docs/architecture.md (« Running in production »), read from that very block."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).parents[1] / "docs" / "architecture.md"
MARKER = "# /etc/encaisse/encaisse.env"
SETTINGS = [
    "DATABASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
]


def documented_environment() -> dict[str, str]:
    block = DOC.read_text(encoding="utf-8").split(MARKER, 1)[1].split("```", 1)[0]
    env = {}
    for line in block.strip().splitlines():
        name, _, value = line.partition("=")
        env[name.strip()] = value.strip()
    return env


def check_deploy(tmp_path, env: dict[str, str]):
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    paths = {
        "ENCAISSE_DATA_DIR": str(tmp_path / "var"),
        "ENCAISSE_ARCHIVE_DIR": str(tmp_path / "archive"),
        "ENCAISSE_MEDIA_DIR": str(tmp_path / "media"),
    }
    return subprocess.run(
        [sys.executable, "-m", "encaisse.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, **env, **paths},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_the_documented_environment_passes_check_deploy(tmp_path):
    env = documented_environment()
    assert env["SECURE_SSL_REDIRECT"] == "1" and env["DATABASE_URL"].startswith("postgres://")
    assert env["SECRET_KEY"].startswith("<")  # a placeholder: the test draws one
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    result = check_deploy(tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_without_it_the_check_says_what_is_missing(tmp_path):
    result = check_deploy(tmp_path, {"SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output


def test_the_settings_read_the_proxy_header(tmp_path):
    env = {
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO=https",
        "CSRF_TRUSTED_ORIGINS": "https://a.example.fr,https://b.example.fr",
        "ENCAISSE_DATA_DIR": str(tmp_path / "var"),
    }
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.SECURE_PROXY_SSL_HEADER, settings.CSRF_TRUSTED_ORIGINS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "encaisse.settings", **env},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') ['https://a.example.fr', 'https://b.example.fr']"
    ), result.stderr
