"""Personal data: classified in dbt, pseudonymised in the marts, absent from everything published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omni.privacy import EMAIL, PHONE, Coverage, scan_published, scan_text
from omni.publish import published_dir
from omni.report import render

pytestmark = pytest.mark.e2e


def test_the_scan_finds_what_it_must():
    for text in ("jan.kowalski@gmail.com", "+48 601 234 567", "601-234-567", "0048601234567", "(+48) 601234567"):
        assert scan_text(f"x {text} y", "sample"), text
    for text in ("a63d7348342345832d9f51b50e5fe2c2", "S001-20260826-00001", "5008977", "2026-10-31"):
        assert not scan_text(text, "sample"), text
    assert EMAIL.pattern and PHONE.pattern


def test_nothing_published_carries_an_email_or_a_phone(xs_world):
    paths = xs_world(7)
    report = render(paths)
    coverage = Coverage()
    findings = scan_published(published_dir(paths), report, coverage)
    assert findings == [], findings[:5]
    # and the scan did look at every table and file
    parquet_files = list((published_dir(paths) / "parquet").glob("*.parquet"))
    assert len(parquet_files) >= 10 and coverage.parquet_files == len(parquet_files)
    assert coverage.tables == len(parquet_files) and coverage.distinct_values > 10_000


def test_personal_columns_are_classified_and_stay_out_of_public_marts(dbt_manifest):
    manifest = json.loads(Path(dbt_manifest).read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    direct = {"email", "email_normalized", "phone", "phone_normalized", "first_name", "last_name",
              "requester_email", "requester_phone", "requester_name", "customer_email", "customer_phone"}
    for name, node in models.items():
        if node["schema"] == "staging":
            for column, spec in node["columns"].items():
                if column in direct:
                    assert (spec.get("config", {}).get("meta", {}) or spec.get("meta", {})).get("pii"), (name, column)
        if node.get("access") == "public":
            assert not direct & set(node["columns"]), (name, direct & set(node["columns"]))
