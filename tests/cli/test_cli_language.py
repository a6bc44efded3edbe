"""The `bastion` command speaks the operator's locale: Chinese under a zh locale, English otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bastion.cli import cli_language


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"BASTION_LANGUAGE": "zh-hans", "LANG": "C"}, "zh-hans"),
        ({}, "en"),
    ],
)
def test_language_follows_the_locale(environ, expected):
    assert cli_language(environ) == expected


def test_unknown_command_fails_with_a_message(tmp_path):
    env = {**os.environ, "BASTION_HOME": str(tmp_path), "LANG": "C.UTF-8"}
    env.pop("BASTION_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bastion.cli", "no-such-command"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Unknown command: 'no-such-command'" in result.stderr
