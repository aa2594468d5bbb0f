"""`python -m ingestion SOURCE [SOURCE ...]`: load sources without Dagster.

Paths come from the environment like every `omni` command: OMNI_DATA_DIR (default ./data).
"""

import sys

from ingestion import SOURCE_NAMES
from ingestion.pipeline import run_source
from omni.settings import Paths


def main(argv: list[str]) -> int:
    names = argv or list(SOURCE_NAMES)
    paths = Paths.from_env()
    for name in names:
        info = run_source(name, paths.landing, paths.warehouse, paths.dlt_pipelines)
        print(info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
