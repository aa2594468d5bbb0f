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


def test_the_engine_is_an_option_of_every_command_and_a_wrong_one_is_one_line():
    for command in ("ingest", "build", "publish", "forget", "dev"):
        assert "--engine [duckdb|spark]" in omni(command, "--help").stdout, command
    out = omni("build", "--engine", "bigquery")
    assert out.returncode != 0 and out.stderr.startswith("omni: error:")
    assert "bigquery" in out.stderr and "duckdb" in out.stderr and "spark" in out.stderr


def test_on_spark_the_loads_go_to_the_lake_and_its_catalog_reads_them(tmp_path):
    """`omni ingest --engine spark` (no Java needed): dlt writes Parquet to the lake, and the lake's catalog
    (what checks and publication read on Spark) has the raw table, typed by the contract where no file fed it."""
    import duckdb

    from omni.settings import Paths

    src = tmp_path / "landing" / "helpdesk" / "tickets" / "tickets_2026-05-01.json"
    src.parent.mkdir(parents=True)
    src.write_text(
        '{"tickets": [{"id": 1, "via_channel": "email", "requester": {"email": "a@example.pl"}, '
        '"created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T11:00:00Z"}]}'
    )
    out = omni("ingest", "--engine", "spark", "--source", "helpdesk", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    paths = Paths.from_env(tmp_path, "spark")
    assert list((paths.lake_raw / "raw_helpdesk" / "tickets").glob("*.parquet"))
    assert not (tmp_path / "warehouse.duckdb").exists()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        assert con.execute("select id, requester__email from raw_helpdesk.tickets").fetchall() == [
            (1, "a@example.pl")
        ]
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_helpdesk'"
            ).fetchall()
        }
    assert {"tickets", "_load_audit", "_dlt_loads"} <= tables
