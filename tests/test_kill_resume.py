"""A load killed half-way (during extract, normalize or load) and run again ends with every row once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
STORES, DAYS, ROWS = 4, 15, 3000


def make_landing(landing: Path) -> int:
    con = duckdb.connect()
    for s in range(STORES):
        folder = landing / "pos" / f"S0{s}"
        folder.mkdir(parents=True)
        for d in range(DAYS):
            con.execute(f"""
                COPY (SELECT 'R{s}-{d}-' || (i // 3) AS receipt_id, 'S0{s}' AS store_id, '1' AS register_no,
                             'K001' AS cashier_id, '2026-05-{d + 1:02d} 10:00:00' AS receipt_datetime,
                             'SALE' AS transaction_type, '' AS loyalty_card, '' AS customer_phone,
                             (i % 3 + 1) AS line_no, 'SKU-' || (i % 97) AS sku, 1 + i % 3 AS quantity,
                             '12,50' AS unit_price, '0' AS discount, '12,50' AS line_total, 'card' AS payment_method,
                             '' AS coupon_code, '' AS original_order_id, '' AS original_receipt_id
                      FROM range({ROWS}) t(i))
                TO '{folder}/pos_S0{s}_2026-05-{d + 1:02d}.csv' (HEADER, DELIMITER ';')""")
    return STORES * DAYS * ROWS


def stage_reached(pipeline_dir: Path, stage: str) -> bool:
    """Where dlt is, from its working directory: extract writes packages under normalize/, normalize
    moves them to load/new/, load moves each job file to completed_jobs/ as its table is loaded."""
    if stage == "extract":
        return any(pipeline_dir.glob("normalize/*/*/new_jobs/*"))
    if stage == "normalize":
        return any(pipeline_dir.glob("normalize/extracted/*")) or any(pipeline_dir.glob("load/new/*"))
    if stage == "load":
        return any(pipeline_dir.glob("load/normalized/*/completed_jobs/*"))
    raise ValueError(stage)


def run_ingest(data: Path) -> subprocess.Popen:
    env = {**os.environ, "OMNI_DATA_DIR": str(data), "DLT_PROJECT_DIR": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "ingestion", "pos"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_during(data: Path, stage: str) -> None:
    """Start `python -m ingestion pos` and SIGKILL it as soon as dlt is in `stage`."""
    proc = run_ingest(data)
    pipeline_dir = data / "dlt" / "omni_pos"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not stage_reached(pipeline_dir, stage):
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.fail(f"the load finished before reaching {stage}: make the landing bigger")
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def assert_every_row_once(data: Path, expected: int, when: str) -> None:
    """Every landing row in raw once, and one audit row per file accounting for them."""
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT (receipt_id, line_no)) FROM raw_pos.receipt_lines"
        ).fetchone()
        audited = con.execute(
            "SELECT sum(rows_loaded), count(*), count(DISTINCT source_file) FROM raw_pos._load_audit"
        ).fetchone()
    assert (total, distinct) == (expected, expected), f"{when}: {total} rows, {distinct} distinct"
    assert audited == (expected, STORES * DAYS, STORES * DAYS), f"{when}: audit {audited}"


@pytest.mark.parametrize("stage", ["extract", "normalize", "load"])
def test_killed_load_resumes_with_every_row_once(tmp_path, stage):
    expected = make_landing(tmp_path / "landing")
    kill_during(tmp_path, stage)

    # run again: the dead run's package is dropped and its files read again
    again = run_ingest(tmp_path)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()[-2000:]

    assert_every_row_once(tmp_path, expected, f"killed during {stage}")


@pytest.mark.parametrize("stage", ["normalize", "load"])
def test_killed_load_resumes_the_dagster_way(tmp_path, stage):
    """Dagster's dlt resource drops the local pipeline (pending packages included) before each run and
    restores state from the warehouse: files must then be read again, not lost and not doubled."""
    from ingestion.pipeline import LOADER_FILE_FORMAT, make_pipeline, make_source

    expected = make_landing(tmp_path / "landing")
    kill_during(tmp_path, stage)

    pipeline = make_pipeline("pos", tmp_path / "warehouse.duckdb", tmp_path / "dlt")
    pipeline.drop()  # what DagsterDltResource does with restore_from_destination (the default)
    pipeline = make_pipeline("pos", tmp_path / "warehouse.duckdb", tmp_path / "dlt")
    pipeline.run(make_source("pos", tmp_path / "landing"), loader_file_format=LOADER_FILE_FORMAT)

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT (receipt_id, line_no)) FROM raw_pos.receipt_lines"
        ).fetchone()
    assert (total, distinct) == (expected, expected), (
        f"killed during {stage}: {total} rows, {distinct} distinct"
    )


# Killed in the window between DuckDB committing a copy job into the staging dataset and dlt recording
# that job as done: a resumed package would run the copy again and merge every staged row twice.
DIE_AFTER_COMMIT = """
import os, sys
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
copy = DuckDbCopyJob.run
def run_then_die(self):
    copy(self)
    if self.load_table_name == sys.argv[1]:
        os._exit(9)
DuckDbCopyJob.run = run_then_die
from ingestion.__main__ import main
main(["pos"])
"""


@pytest.mark.parametrize("table", ["receipt_lines", "_load_audit"])
def test_a_copy_job_killed_after_its_commit_is_not_loaded_twice(tmp_path, table):
    expected = make_landing(tmp_path / "landing")
    env = {**os.environ, "OMNI_DATA_DIR": str(tmp_path), "DLT_PROJECT_DIR": str(REPO)}
    died = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_COMMIT, table], cwd=REPO, env=env, capture_output=True, timeout=300
    )
    assert died.returncode == 9, died.stderr.decode()[-2000:]

    again = run_ingest(tmp_path)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()[-2000:]

    assert_every_row_once(tmp_path, expected, f"killed after the commit of {table}")
