"""Issue 12: the documented production configuration passes `check --deploy --fail-level WARNING` (T33), and a
weak LEDGER_KEY stops a production server from starting. Both through the real command line: settings are read
once per process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """What docs/deploy.md exports, with generated secrets; nothing of the test runner's relaxations."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        LEDGER_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="shotlee.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_at_warning_level_in_the_documented_production_configuration(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_one_silenced_deploy_warning_is_hsts_preload_and_its_reason_is_written_down():
    from django.conf import settings

    assert settings.SILENCED_SYSTEM_CHECKS == ["security.W021"]
    assert "security.W021" in (ROOT / "docs" / "deploy.md").read_text()
    assert "W021" in (ROOT / "shotlee" / "settings.py").read_text()


@pytest.mark.parametrize(
    "key",
    ["x", "a" * 64, "abababababababababababababababab", "short-but-mixed-K3y!", secrets.token_urlsafe(32)[:31]],
    ids=["one-character", "one-repeated", "two-repeated", "20-characters", "31-random"],
)
def test_a_weak_ledger_key_stops_a_production_server(tmp_path, key):
    result = manage(production_env(tmp_path, LEDGER_KEY=key), "check")
    assert result.returncode != 0
    assert "LEDGER_KEY is too weak" in result.stderr


def test_a_generated_ledger_key_is_accepted(tmp_path):
    assert manage(production_env(tmp_path, LEDGER_KEY=secrets.token_urlsafe(32)), "check").returncode == 0


def test_debug_keeps_accepting_any_ledger_key_for_development(tmp_path):
    assert manage(production_env(tmp_path, DEBUG="1", LEDGER_KEY="x"), "check").returncode == 0
