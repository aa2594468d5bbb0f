"""The warehouse's dbt macros rendered outside dbt, for one engine.

Some SQL has one definition, the dbt project's, and is needed outside a dbt run: erasure normalises the
identifiers it looks for with the normalisation macros staging uses (omni/erasure.py), and the tests of
the portable macros run each engine's spelling on both engines (tests/test_portable_macros.py). This
renders macro files the way dbt does, for the macros these files hold: every macro is its own template
and calls the others through the shared context; `adapter.dispatch(name)` resolves to `<engine>__<name>`,
else `default__<name>`; `return(value)` ends the macro with that value (a list, a tuple, text); `dbt.<name>`
are dbt's cross-database macros (the global project's and the engine's adapter's own `macros/utils`, as
installed), `api.Column` the adapter's column type; `target` is the engine; `modules` has `re` and
`datetime`; `exceptions.raise_compiler_error` raises. Anything else of dbt's context (`ref`, `var`,
`config`, `run_query`...) is undefined and fails loudly.
"""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2

_MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(.*?{%-?\s*endmacro\s*-?%}", re.S)


class MacroError(RuntimeError):
    """A macro raised dbt's compiler error."""


class _Return(Exception):  # control flow, as dbt's own MacroReturn
    def __init__(self, value: Any) -> None:
        self.value = value


def _return(value: Any) -> None:
    raise _Return(value)


def _raise_compiler_error(message: str) -> None:
    raise MacroError(message)


class _Adapter:
    def __init__(self, engine: str, macros: dict[str, Callable[..., Any]]) -> None:
        self.engine = engine
        self._macros = macros

    def dispatch(self, name: str, package: str | None = None) -> Callable[..., Any]:
        for candidate in (f"{self.engine}__{name}", f"default__{name}"):
            if candidate in self._macros:
                return self._macros[candidate]
        raise MacroError(f"no implementation of macro {name} for {self.engine}")


def _sources(files: Iterable[Path]) -> dict[str, str]:
    return {match.group(1): match.group(0) for path in files for match in _MACRO.finditer(path.read_text())}


def _dbt_macro_files(engine: str) -> list[Path]:
    """dbt's cross-database macros: the global project's, then the adapter's own (`<engine>__...`)."""
    from dbt.include import global_project

    adapter_package = importlib.import_module(f"dbt.include.{engine}")
    folders = [Path(global_project.PACKAGE_PATH), Path(adapter_package.PACKAGE_PATH)]
    return [path for folder in folders for path in sorted((folder / "macros" / "utils").glob("*.sql"))]


def render_macros(engine: str, files: Iterable[Path]) -> dict[str, Callable[..., Any]]:
    """The macros of `files` by name, as callables rendering their SQL (or returning their value) for
    `engine` (the dbt adapter installed for it: duckdb, spark...)."""
    project = _sources(files)
    sources = {**_sources(_dbt_macro_files(engine)), **project}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
    compiled: dict[str, Callable[..., Any]] = {}
    macros: dict[str, Callable[..., Any]] = {}
    context: dict[str, Any] = {}

    def caller_of(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            # compiled at the first call: dbt's files hold macros this renderer cannot (and need not) run
            if name not in compiled:
                compiled[name] = getattr(env.from_string(sources[name], globals=context).module, name)
            try:
                return compiled[name](*args, **kwargs)
            except _Return as returned:
                return returned.value

        call.__name__ = name
        return call

    macros.update({name: caller_of(name) for name in sources})
    plugin = importlib.import_module(f"dbt.adapters.{engine}").Plugin
    context.update(
        {
            **macros,
            "dbt": SimpleNamespace(**macros),
            "adapter": _Adapter(engine, macros),
            "api": SimpleNamespace(Column=plugin.adapter.Column),
            "return": _return,
            "target": SimpleNamespace(type=engine),
            "modules": SimpleNamespace(re=re, datetime=datetime),
            "exceptions": SimpleNamespace(raise_compiler_error=_raise_compiler_error),
        }
    )
    return {name: macros[name] for name in project}
