"""`./run --help`: the script's own usage, then the CLI's commands (or how to get them)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from common.settings import REPO_ROOT


def _help(where: Path, flag: str) -> str:
    result = subprocess.run(
        ["bash", "run", flag], cwd=where, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_shows_the_usage_and_the_cli_commands(flag: str) -> None:
    if not (REPO_ROOT / ".venv" / "bin" / "hitstream").exists():
        pytest.skip("the CLI is not installed in .venv")
    out = _help(REPO_ROOT, flag)
    assert "set -e" not in out and "#" not in out.splitlines()[0]
    assert "./run up" in out and "./run test" in out
    commands = out.split("Commands:", 1)[1]
    for name in ("query", "sites", "dlq"):
        assert f"\n  {name} " in commands


def test_help_without_the_venv_says_how_to_get_the_commands(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "run", tmp_path / "run")
    out = _help(tmp_path, "--help")
    assert "set -e" not in out and "./run up" in out
    assert out.rstrip().splitlines()[-1].endswith("`./run up` or `./run test` installs into .venv.")
    assert not (tmp_path / ".venv").exists()
