"""`omni forget`: an erasure request composed with the normal build.

The erasure library (omni/erasure.py) records the request and cleans landing and raw; the build
(omni/build.py, the Dagster job) then rebuilds staging and marts from the cleaned data, publishes, and
its last asset, `governance/erasure_compaction`, completes the request. The library itself never runs
a build: this module, above both, puts them together.
"""

from __future__ import annotations

from collections.abc import Callable

from omni.build import build
from omni.erasure import erase
from omni.settings import Paths


def forget(
    paths: Paths,
    email: str | None = None,
    phone: str | None = None,
    customer_key: str | None = None,
    rebuild: bool = True,
    echo: Callable[[str], None] = lambda _m: None,
) -> dict:
    """Erase a person from every layer; with `rebuild`, rebuild through the build job at once. Returns the
    erasure log entry."""

    def run_build() -> str:
        result = build(paths, echo=echo)
        return "ok" if result.success else f"failed: {'; '.join(result.failed_steps)}"

    return erase(
        paths,
        email=email,
        phone=phone,
        customer_key=customer_key,
        rebuild=run_build if rebuild else None,
        echo=echo,
    )
