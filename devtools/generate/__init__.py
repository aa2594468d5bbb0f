"""The demo world: a synthetic Polish omnichannel retailer, written as its channels export it.

`generate(data_dir, size, seed)` writes `landing/` (the landing contract, docs/landing.md) and
`truth/` (the answer key, docs/truth.md). The same size and seed give byte-identical files.
"""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from devtools.generate.activity import World
from devtools.generate.marketing import ADS_CAMPAIGNS, build_campaigns, build_consents, build_messages
from devtools.generate.people import add_identity_traits, build_people
from devtools.generate.reference import build_reference
from devtools.generate.render import Renderer
from devtools.generate.truth import write_truth

# people, days, stores, products
SIZES = {
    "xs": (300, 90, 4, 60),
    "s": (20_000, 180, 16, 600),
    "m": (200_000, 365, 40, 1500),
    "l": (1_000_000, 365, 80, 3000),
}
PERIOD_END = np.datetime64("2026-10-31")


# The demo retailer's omni.toml (docs/configuration.md): every channel, Polish locale, and the id formats
# and plausibility bounds of its systems, which the warehouse checks as findings.
DEMO_CONFIG = """\
# The demo retailer written by `omni generate` (docs/configuration.md).
[sources]
enabled = ["reference", "webshop", "events", "pos", "loyalty", "marketing", "ads", "helpdesk", "surveys"]

[locale]
country = "PL"
currency = "PLN"
timezone = "Europe/Warsaw"

[formats]
store_id = '^S\\d{3}$'
sku = '^SKU-\\d{5}$'
receipt_id = '^S\\d{3}-\\d{8}-\\d{5}$'
order_name = '^WS-\\d+$'
member_id = '^M\\d{7}$'
loyalty_card = '^\\d{13}$'
parcel_locker_id = '^[A-Z]{3}\\d{2}[A-Z]$'
campaign_id = '^[A-Z]+(?:-[A-Z0-9]+)+$'
message_id = '^MSG\\d{9}$'
device_id = '^dev-[0-9a-f]{16}$'
event_id = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

[plausibility]
max_order_amount = 100000
max_shipping_amount = 1000
max_line_quantity = 1000
earliest_date = 2015-01-01
latest_date = 2030-12-31
"""


@dataclass(frozen=True)
class GenerateStats:
    size: str
    seed: int
    persons: int
    rows_by_source: dict[str, int]
    files: int
    seconds: float


def generate(
    data_dir: Path, size: str = "xs", seed: int = 42, progress: Callable[[str], None] | None = None
) -> GenerateStats:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    keep_large_allocations_returnable()
    data_dir = Path(data_dir)
    for sub in ("landing", "truth"):
        shutil.rmtree(data_dir / sub, ignore_errors=True)
        (data_dir / sub).mkdir(parents=True)
    base = simulate(size, seed, say)
    r = Renderer(base.world, data_dir, say)
    try:
        render(r, base, say)
        say("truth")
        write_truth(r, base.world, base.consents, base.planted)
        (data_dir / "omni.toml").write_text(DEMO_CONFIG, encoding="utf-8")
    finally:
        r.close()  # files are written on a thread of their own: wait for them
    write_world_file(data_dir, size, seed, base.world)
    return GenerateStats(
        size=size,
        seed=seed,
        persons=len(base.world.people),
        rows_by_source=dict(sorted(r.rows.items())),
        files=r.files,
        seconds=round(time.perf_counter() - started, 2),
    )


# glibc's default: an allocation of this size or more is mapped on its own and given back when freed
MMAP_THRESHOLD_BYTES = 256 * 1024
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def keep_large_allocations_returnable() -> None:
    """Fix glibc's mmap threshold. Left dynamic, glibc raises it (up to 32 MB) after the first large
    array is freed, and the arrays of every later step then come from the heap, where freed memory stays
    with the process: at size l the generator held about a third more than its live data. A no-op where
    the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass


@dataclass
class BaseWorld:
    """The simulated period of a world, before rendering."""

    world: World
    consents: pd.DataFrame
    campaigns: pd.DataFrame
    messages: pd.DataFrame | None
    planted: dict


def simulate(size: str, seed: int, say: Callable[[str], None]) -> BaseWorld:
    """Everything a world of `size` and `seed` does over its period, as `generate` draws it."""
    n_people, days, n_stores, n_products = SIZES[size]
    period_start = (PERIOD_END - np.timedelta64(days - 1, "D")).astype("datetime64[s]")
    # one random stream per component, so that changing one part of the model leaves the others alone
    rng = {
        k: np.random.default_rng([seed, i])
        for i, k in enumerate(
            ["reference", "people", "activity", "consent", "marketing", "render", "identity"]
        )
    }
    say("reference data")
    ref = build_reference(rng["reference"], n_stores, n_products)
    say(f"{n_people:,} people")
    people = build_people(rng["people"], n_people, ref)
    # addresses, birth dates and the people identity matching finds hard (truth/identity_cases.csv)
    people = add_identity_traits(rng["identity"], people)
    say(f"journeys over {days} days")
    world = World(rng["activity"], people, ref, days, period_start)
    world.id_rng = rng["identity"]  # how the renderer draws what only identity matching reads
    world.run(ADS_CAMPAIGNS)
    say("consent and campaigns")
    world.rng = rng["consent"]
    consents = build_consents(world)
    world.rng = rng["marketing"]
    campaigns = build_campaigns(world)
    messages, planted = build_messages(world, consents, campaigns)
    world.rng = rng["render"]
    return BaseWorld(world, consents, campaigns, messages, planted)


def render(r: Renderer, base: BaseWorld, say: Callable[[str], None]) -> None:
    """Every source of the simulated period, in the order `generate` writes them."""
    for step in (
        "reference",
        "webshop",
        "events",
        "pos",
        "loyalty",
        "marketing",
        "ads",
        "helpdesk",
        "surveys",
    ):
        say(f"writing {step}")
        if step == "loyalty":
            r.loyalty(base.consents)
        elif step == "marketing":
            r.marketing(base.campaigns, base.messages)
            base.messages = None  # the largest frame: nothing reads it afterwards
        else:
            getattr(r, step)()


# what `omni generate --append-days` reads to continue a world (the pipeline never reads truth/)
WORLD_FILE = "world.json"


def write_world_file(data_dir: Path, size: str, seed: int, world: World, **extra) -> None:
    """truth/world.json: the parameters of the world in `data_dir` and how far it has been exported."""
    start = world.period_start.astype("datetime64[D]")
    last = max(
        (m.group(0) for f in (data_dir / "landing").rglob("*") if (m := _DATE.search(f.name))),
        default=str(start + np.timedelta64(world.days - 1, "D")),
    )
    meta = {
        "size": size,
        "seed": seed,
        "period_start": str(start),
        "base_days": world.days,
        "base_last_export_day": last,
        "base_events_csv_bytes": (data_dir / "truth" / "events.csv").stat().st_size,
        "appended_days": 0,
        "last_export_day": last,
    }
    meta.update(extra)
    (data_dir / "truth" / WORLD_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def append_days(data_dir: Path, n: int, progress: Callable[[str], None] | None = None) -> GenerateStats:
    """Export the next `n` days of the world in `data_dir` (docs/truth.md, "Continuing a world")."""
    from devtools.generate.append import append_days as run

    return run(Path(data_dir), n, progress)
