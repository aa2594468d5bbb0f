"""Dagster definitions, one module per technology (dlt, dbt) plus the automation around them."""
