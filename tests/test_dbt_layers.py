"""The dbt project is layered one way: staging <- intermediate <- marts.

A staging model reads sources and seeds only (and other staging models); an intermediate model reads
staging and intermediate models, never a mart; a mart may read all three. Shared logic that an
intermediate model needs lives in an intermediate model the mart selects from. The dependencies are the
refs of every model's SQL or Python, as dbt parses them, so no build is needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MODELS_DIR = Path(__file__).resolve().parent.parent / "dbt" / "models"
LAYERS = ("staging", "intermediate", "marts")
# a layer may depend on these layers only
ALLOWED = {"staging": {"staging"}, "intermediate": {"staging", "intermediate"}, "marts": set(LAYERS)}

# {{ ref('x') }} / {{ ref("x", v=1) }} in SQL and dbt.ref("x") in Python models; ref('package', 'x')
# names the model last
_REF = re.compile(r"""\bref\(\s*(?:['"]\w+['"]\s*,\s*)?['"](\w+)['"]""")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_SQL_COMMENT = re.compile(r"--[^\n]*")
_PY_COMMENT = re.compile(r"#[^\n]*")


def refs(path: Path) -> set[str]:
    """The models and seeds one model file refs (comments ignored)."""
    text = path.read_text()
    text = (
        _PY_COMMENT.sub("", text)
        if path.suffix == ".py"
        else _SQL_COMMENT.sub("", _JINJA_COMMENT.sub("", text))
    )
    return set(_REF.findall(text))


def model_layers(models_dir: Path = MODELS_DIR) -> dict[str, tuple[str, Path]]:
    """Model name -> (layer, file), for every SQL and Python model."""
    found = {}
    for path in sorted([*models_dir.rglob("*.sql"), *models_dir.rglob("*.py")]):
        layer = path.relative_to(models_dir).parts[0]
        assert layer in LAYERS, f"{path} is outside staging/, intermediate/ and marts/"
        found[path.stem] = (layer, path)
    return found


def layer_violations(models_dir: Path = MODELS_DIR) -> list[str]:
    layers = model_layers(models_dir)
    violations = []
    for name, (layer, path) in layers.items():
        for parent in sorted(refs(path)):
            if parent in layers and layers[parent][0] not in ALLOWED[layer]:
                violations.append(f"{layer} model {name} reads {layers[parent][0]} model {parent}")
    return violations


def test_models_depend_only_on_their_layer_and_below():
    assert layer_violations() == []


def test_the_models_and_their_refs_are_found():
    layers = model_layers()
    assert layers["fct_orders"][0] == "marts"
    assert layers["int_core__orders"][0] == "intermediate"
    assert layers["stg_webshop__orders"][0] == "staging"
    assert refs(layers["fct_orders"][1]) == {"int_core__orders"}
    assert "int_core__orders" in refs(layers["int_analytics__clv"][1])  # a Python model's dbt.ref


@pytest.mark.parametrize(
    ("layer", "body", "expected"),
    [
        (
            "intermediate",
            "select * from {{ ref('mart_x') }}",
            ["intermediate model int_x reads marts model mart_x"],
        ),
        (
            "staging",
            'select * from {{ ref("int_y") }}',
            ["staging model stg_x reads intermediate model int_y"],
        ),
        ("intermediate", "-- was {{ ref('mart_x') }}\nselect * from {{ ref('int_y') }}", []),
        ("marts", "select * from {{ ref('int_y') }} join {{ ref('mart_x') }} using (k)", []),
    ],
)
def test_a_dependency_against_the_layers_is_reported(tmp_path, layer, body, expected):
    for folder, name, sql in [("marts", "mart_x", "select 1"), ("intermediate", "int_y", "select 1")]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / f"{name}.sql").write_text(sql)
    name = {"intermediate": "int_x", "staging": "stg_x", "marts": "mart_z"}[layer]
    (tmp_path / layer).mkdir(exist_ok=True)
    (tmp_path / layer / f"{name}.sql").write_text(body)
    assert layer_violations(tmp_path) == expected
