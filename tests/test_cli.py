"""The `omni` command line: options, one-line errors."""

from __future__ import annotations

import subprocess
import sys


def omni(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "omni.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_help_lists_the_commands():
    out = omni("--help")
    assert out.returncode == 0
    for command in ("generate", "ingest", "build", "demo", "dev", "bench"):
        assert command in out.stdout


def test_every_command_takes_data_dir():
    for command in ("generate", "ingest", "build", "demo", "dev", "bench"):
        assert "--data-dir" in omni(command, "--help").stdout, command


def test_bad_option_is_one_clear_line():
    out = omni("generate", "--size", "xxl")
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert out.stderr.startswith("omni: error:")


def test_a_failing_load_is_one_line_not_a_traceback(tmp_path):
    bad = tmp_path / "landing" / "pos" / "S01" / "pos_S01_2026-05-01.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("receipt_id;store_id;receipt_datetime\nR1;S01;2026-05-01 10:00:00\n")
    out = omni("ingest", "--source", "pos", "--data-dir", str(tmp_path))
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("omni: error:")
    assert "required column(s)" in last and "pos_S01_2026-05-01.csv" in last
    assert "Traceback" not in out.stderr
