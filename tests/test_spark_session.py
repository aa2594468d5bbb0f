"""The settings of the Spark session (omni/spark.py) and how `omni-spark-dbt` reads its command line: no
Spark needed (the settings are a dict until a session starts)."""

from __future__ import annotations

import json

import pytest

from omni.settings import Paths
from omni.spark import CONF_ENV, METASTORE_URI_ENV, _command, spark_conf

RETRIES = "spark.hadoop.hive.hmshandler.retry.attempts"
INTERVAL = "spark.hadoop.hive.hmshandler.retry.interval"


@pytest.fixture
def paths(tmp_path, monkeypatch) -> Paths:
    for name in (CONF_ENV, METASTORE_URI_ENV, "OMNI_SPARK_MASTER"):
        monkeypatch.delenv(name, raising=False)
    return Paths.from_env(tmp_path / "data", "spark")


def test_the_embedded_metastore_retries_a_refused_write_once_without_waiting(paths):
    conf = spark_conf(paths)
    assert str(paths.spark_metastore) in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert (conf[RETRIES], conf[INTERVAL]) == ("1", "0ms")


def test_a_cluster_metastore_keeps_its_own_retries_and_a_setting_of_the_environment_wins(paths, monkeypatch):
    monkeypatch.setenv(METASTORE_URI_ENV, "thrift://metastore:9083")
    conf = spark_conf(paths)
    assert conf["spark.hadoop.hive.metastore.uris"] == "thrift://metastore:9083"
    assert RETRIES not in conf and INTERVAL not in conf
    assert "spark.hadoop.javax.jdo.option.ConnectionURL" not in conf
    monkeypatch.delenv(METASTORE_URI_ENV)
    monkeypatch.setenv(CONF_ENV, json.dumps({RETRIES: "10", "spark.executor.memory": "16g"}))
    conf = spark_conf(paths)
    assert (conf[RETRIES], conf["spark.executor.memory"]) == ("10", "16g")


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["build", "--select", "run"], "build"),
        (["--debug", "run"], "run"),
        # a global option's value is not the command (it was taken for one, and the lake left unregistered)
        (["--log-path", "/tmp/run", "build"], "build"),
        (["--log-path", "run", "--log-level=debug", "build", "--select", "test"], "build"),
        (["--target", "spark", "test"], "test"),
        (["source", "freshness"], "source"),
        (["--version"], None),
    ],
)
def test_omni_spark_dbt_finds_dbts_command_after_global_options(args, command):
    assert _command(args) == command
