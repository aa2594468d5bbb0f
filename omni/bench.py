"""`omni bench`: figures for the demo world generator (and later stages), printed and saved as JSON.

Each measurement runs in a fresh subprocess so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(argv: list[str]) -> dict:
    """Run `python -m omni.bench <argv>` and return its JSON answer with its peak RSS."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "omni.bench", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step {argv[0]} failed: {err.strip().splitlines()[-1] if err.strip() else '?'}")
    answer = json.loads(out.strip().splitlines()[-1])
    answer["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    return answer


def bench_generation(size: str, seed: int, workdir: Path) -> dict:
    return _child(["generate", size, str(seed), str(workdir / f"gen-{size}")])


def run(sizes: list[str], seed: int, workdir: Path | None, out: Path | None, echo=print) -> dict:
    results: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "generation": [],
    }
    with tempfile.TemporaryDirectory(prefix="omni-bench-", dir=workdir) as tmp:
        for size in sizes:
            echo(f"generating size {size} ...")
            r = bench_generation(size, seed, Path(tmp))
            results["generation"].append(r)
            echo(
                f"  {size}: {r['persons']:>9,} people {r['rows']:>12,} rows {r['files']:>7,} files "
                f"{r['seconds']:8.1f} s {r['rows'] / r['seconds']:>12,.0f} rows/s  peak {r['peak_rss_mb']:,.0f} MB"
            )
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
        echo(f"figures written to {out}")
    return results


def _main(argv: list[str]) -> None:
    step = argv[0]
    if step == "generate":
        from omni.generate import generate

        size, seed, target = argv[1], int(argv[2]), Path(argv[3])
        started = time.perf_counter()
        stats = generate(target, size=size, seed=seed)
        seconds = time.perf_counter() - started
        print(json.dumps({
            "size": size, "seed": seed, "persons": stats.persons, "rows": sum(stats.rows_by_source.values()),
            "rows_by_source": stats.rows_by_source, "files": stats.files, "seconds": round(seconds, 2),
            "landing_mb": round(sum(p.stat().st_size for p in (target / "landing").rglob("*") if p.is_file()) / 2**20, 1),
        }))
    else:
        raise SystemExit(f"unknown benchmark step {step!r}")


if __name__ == "__main__":
    _main(sys.argv[1:])
