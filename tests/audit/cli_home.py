"""Real ``bastion`` processes on a file-based embedded installation in a temporary BASTION_HOME.

pytest's own SQLite test database lives in memory, which other processes cannot open; backups,
restores and multi-process writers need a real data directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASTION = str(Path(sys.executable).with_name("bastion"))
WRITER = str(REPO / "tests" / "audit" / "writer.py")


def environment(home: Path, *, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASTION_", "DJANGO_"))}
    env["BASTION_HOME"] = str(home)
    if database_url:
        env["BASTION_DATABASE_URL"] = database_url
    return env


def bastion(
    home: Path, *args: str, database_url: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``bastion`` console script; never raises on a non-zero exit."""
    return subprocess.run(
        [BASTION, *args],
        env=environment(home, database_url=database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_writer(
    home: Path,
    name: str,
    count: int,
    *,
    stop: Path | None = None,
    threads: int = 0,
    database_url: str | None = None,
) -> subprocess.Popen[str]:
    args = [sys.executable, WRITER, name, str(count), "--threads", str(threads)]
    if stop:
        args += ["--stop", str(stop)]
    return subprocess.Popen(
        args,
        env=environment(home, database_url=database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(process: subprocess.Popen[str]) -> None:
    """Block until a writer started with a stop file has committed its first COUNT changes."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", (line, process.stderr.read() if process.stderr else "")


def finish(process: subprocess.Popen[str], timeout: float = 180) -> int:
    """Wait for a writer; returns how many changes it committed, failing loudly if it crashed."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return int(out.strip().splitlines()[-1])


def migrate_template(root: Path) -> Path:
    home = root / "template-home"
    result = bastion(home, "migrate", "--no-input", "-v0")
    assert result.returncode == 0, result.stderr
    return home


def copy_home(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrate_template(tmp_path_factory.mktemp("bastion-template"))


@pytest.fixture
def cli_home(migrated_template: Path, tmp_path: Path) -> Path:
    """A freshly migrated embedded BASTION_HOME of its own, for ``bastion`` subprocesses."""
    return copy_home(migrated_template, tmp_path / "home")
