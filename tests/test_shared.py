"""The session's shared worlds (tests/shared.py): made once across test processes, failures remembered."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tests.shared import MadeOnce


def _make_slowly(folder: Path) -> str:
    import time

    folder.mkdir(parents=True)
    with (folder.parent / "calls.txt").open("a") as fh:
        fh.write("made\n")
    time.sleep(0.5)
    return str(folder)


def _ask(root: Path) -> str:
    return MadeOnce(root).get("thing", _make_slowly)


def test_processes_asking_at_once_make_it_once(tmp_path):
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=context) as pool:
        answers = list(pool.map(_ask, [tmp_path] * 3))
    assert answers == [str(tmp_path / "thing")] * 3
    assert (tmp_path / "calls.txt").read_text() == "made\n"


def test_a_failure_is_remembered_not_repeated(tmp_path):
    made = MadeOnce(tmp_path)
    calls = []

    def broken(folder: Path):
        calls.append(folder)
        raise ValueError("the build of this world failed")

    with pytest.raises(ValueError):
        made.get("world", broken)
    with pytest.raises(RuntimeError, match="the build of this world failed"):
        made.get("world", broken)
    assert len(calls) == 1


def test_free_ones_are_made_and_busy_ones_left_to_their_maker(tmp_path):
    made = MadeOnce(tmp_path)
    busy = made._lock("b")
    busy.acquire()
    try:
        done = []
        made.make_free_ones(
            ["a", "b", "c"], lambda items: {n: done.append(n) or n for n, _ in items}, limit=2
        )
    finally:
        busy.release()
    assert done == ["a", "c"]  # b was being made elsewhere; at most two claimed
    assert made.is_made("a") and made.is_made("c") and not made.is_made("b")
    assert made.get("a", lambda folder: "again") == "a"  # made once: the first value stays
