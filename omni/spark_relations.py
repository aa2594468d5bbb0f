"""DuckDB's relation API, the part the warehouse's dbt Python models use, over Spark DataFrames.

The Python models (dbt/models/**/*.py) are written once: they read their inputs through `dbt.ref()`,
`dbt.source()` and the session they receive, with DuckDB's relational API (`columns`, `project`, `filter`,
`order`, `distinct`, `join`, `fetchall`, `fetch_arrow_table`, `df`), and return an Arrow table or a pandas frame. On Spark
(omni/spark.py) the same calls reach `SparkRelation`, which spells each as Spark SQL over the DataFrame:
the expressions the models pass are SQL both engines read. What a model fetches is collected to the
driver, as DuckDB fetches it into the dbt process.
"""

from __future__ import annotations

import itertools
from typing import Any

_names = itertools.count()


class SparkRelation:
    """A Spark DataFrame answering the DuckDB relation methods the models call."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    @property
    def _spark(self):
        return self.frame.sparkSession

    def _view(self) -> str:
        name = f"_omni_relation_{next(_names)}"
        self.frame.createOrReplaceTempView(name)
        return name

    def _select(self, sql: str) -> SparkRelation:
        return SparkRelation(self._spark.sql(sql.format(view=self._view())))

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def project(self, expressions: str) -> SparkRelation:
        return self._select(f"select {expressions} from {{view}}")

    def filter(self, condition: str) -> SparkRelation:
        return self._select(f"select * from {{view}} where {condition}")

    def order(self, expressions: str) -> SparkRelation:
        return self._select(f"select * from {{view}} order by {expressions}")

    def distinct(self) -> SparkRelation:
        return SparkRelation(self.frame.distinct())

    def join(self, other: SparkRelation, condition: str, how: str = "inner") -> SparkRelation:
        """DuckDB's join: `condition` a column name (or names, comma separated) joins on those columns
        (`using`), anything else is a join condition over the two relations' columns."""
        left, right = self._view(), other._view()
        names = [part.strip() for part in condition.split(",")]
        if all(name.isidentifier() for name in names):
            on = f"using ({', '.join(names)})"
        else:
            on = f"on {condition}"
        return SparkRelation(self._spark.sql(f"select * from {left} {how} join {right} {on}"))

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self.frame.collect()]

    def fetch_arrow_table(self):
        return self.frame.toArrow()

    def df(self):
        return self.fetch_arrow_table().to_pandas()


class SessionRelations:
    """The session a Python model receives on Spark: `table` and `sql` give relations, `execute` runs a
    statement (with `?` parameters, as DuckDB's). `omni_batch` is the run's batch (dbt macro omni_batch),
    which a model on DuckDB leaves to its post-hook."""

    engine = "spark"

    def __init__(self, spark: Any, omni_batch: int | None = None) -> None:
        self.spark = spark
        self.omni_batch = omni_batch

    def table(self, name: str) -> SparkRelation:
        """What `dbt.ref()` / `dbt.source()` return: dbt's compiled code loads relations with the session's
        `table` (omni/spark.py, SessionPythonJob)."""
        return SparkRelation(self.spark.table(name))

    def sql(self, query: str) -> SparkRelation:
        return SparkRelation(self.spark.sql(query))

    def execute(self, statement: str, parameters: list | tuple | None = None) -> SessionRelations:
        self.spark.sql(statement, args=list(parameters)) if parameters else self.spark.sql(statement)
        return self


def to_spark(result: Any, spark: Any, batch: int | None = None):
    """A model's result (a Spark DataFrame, a relation of this module, an Arrow table or a pandas frame)
    as a Spark DataFrame; a null `_omni_batch` (the batch column a Python model leaves to its post-hook on
    DuckDB) becomes `batch`."""
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    if isinstance(result, SparkRelation):
        result = result.frame
    if not isinstance(result, DataFrame):
        if not isinstance(result, pa.Table):
            import pandas as pd

            if not isinstance(result, pd.DataFrame):
                raise TypeError(f"a Python model returned {type(result).__name__}: an Arrow table or a frame")
            result = pa.Table.from_pandas(result, preserve_index=False)
        result = spark.createDataFrame(result)
    if batch is not None and "_omni_batch" in result.columns:
        stamp = F.coalesce(F.col("_omni_batch").cast("bigint"), F.lit(batch).cast("bigint"))
        result = result.withColumn("_omni_batch", stamp)
    return result
