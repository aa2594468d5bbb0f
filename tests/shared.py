"""What the test processes of one session make once and share: generated worlds, built worlds.

`make test` runs the suite in several processes (pytest-xdist). A world costs seconds to generate and
minutes to build, and many modules read the same ones, so each is made by the first process that asks for
it, under a file lock in a folder every process of the session sees; the others wait for it, or make
another world that will be asked for while they wait. A failure is remembered: the next process that
asks is told why instead of building the same broken world again. Without xdist the same code runs in
one process.
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout


class MadeOnce:
    """Things made once per session under `root`, each in its own folder `root/<name>`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def folder(self, name: str) -> Path:
        return self.root / name

    def _lock(self, name: str) -> FileLock:
        return FileLock(str(self.root / f"{name}.lock"))

    def _done(self, name: str) -> Path:
        return self.root / f"{name}.done"

    def _failed(self, name: str) -> Path:
        return self.root / f"{name}.failed"

    def is_made(self, name: str) -> bool:
        return self._done(name).exists()

    def get(self, name: str, make: Callable[[Path], Any]) -> Any:
        """What `make(folder)` returned for `name` (pickled beside the folder), made now if no process has
        made it yet; waits while another process makes it."""
        with self._lock(name):
            return self._get_locked(name, make)

    def _get_locked(self, name: str, make: Callable[[Path], Any]) -> Any:
        done, failed = self._done(name), self._failed(name)
        if failed.exists():
            raise RuntimeError(f"{name} could not be made earlier in this session:\n{failed.read_text()}")
        if not done.exists():
            try:
                value = make(self.folder(name))
            except BaseException:
                failed.write_text(traceback.format_exc()[-6000:])
                raise
            done.write_bytes(pickle.dumps(value))
        return pickle.loads(done.read_bytes())

    def make_free_ones(
        self,
        wanted: Iterable[str],
        make_many: Callable[[list[tuple[str, Path]]], dict[str, Any]],
        limit: int | None = None,
    ) -> None:
        """Make those of `wanted` (at most `limit`, in order) that no process has made or is making,
        together: `make_many` gets (name, folder) pairs and returns what each made. Used to start work that
        will be asked for (two worlds generated side by side, a world built while another process builds
        the one asked for)."""
        claimed: list[tuple[str, FileLock]] = []
        try:
            for name in wanted:
                if limit is not None and len(claimed) >= limit:
                    break
                if self.is_made(name) or self._failed(name).exists():
                    continue
                lock = self._lock(name)
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    continue  # another process is making it
                claimed.append((name, lock))
            todo = [name for name, _ in claimed if not self.is_made(name)]
            if not todo:
                return
            try:
                values = make_many([(name, self.folder(name)) for name in todo])
            except Exception:
                for name in todo:  # remembered: the test that asks for one of them reports why
                    self._failed(name).write_text(traceback.format_exc()[-6000:])
                return
            for name in todo:
                self._done(name).write_bytes(pickle.dumps(values[name]))
        finally:
            for _, lock in claimed:
                lock.release()
