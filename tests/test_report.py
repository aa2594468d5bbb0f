"""The HTML KPI report, opened in headless Chromium: every chart renders; a screenshot is kept in the
test artifacts (test-artifacts/report.png)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from omni.report import SECTIONS, render

pytestmark = pytest.mark.e2e

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is needed for this test: `make test` installs it (Debian package chromium)"
    return found


def test_the_report_renders_every_chart_in_chromium(xs_world, tmp_path, artifacts_dir):
    paths = xs_world(7)
    page = render(paths)
    text = page.read_text()
    assert '<p class="note">' not in text, re.findall(
        r'<p class="note">[^<]*', text
    )  # a section without its mart
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", text)  # opens without a network
    dom = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile-dom'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # plotly draws each chart as an <svg class="main-svg"> (two per chart: plot and hover layers)
    charts = dom.count('class="plot-container plotly"')
    assert charts == len(SECTIONS), (charts, len(SECTIONS))
    assert dom.count('class="main-svg"') >= 2 * len(SECTIONS)
    shot = artifacts_dir / "report.png"
    subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile-shot'}",
            "--window-size=1200,3600",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 50_000
