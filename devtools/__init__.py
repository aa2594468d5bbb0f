"""Developer tooling around the product: the demo world generator, the benchmarks and the demo REST API.

The product (`omni`, `dagster_project`, `ingestion`, `expectations`) never imports this package; the
`omni` command line reaches its commands (`generate`, `demo`, `bench`, `serve-demo-api`) only by name,
through `devtools.cli`, and `omni-dev` is its own entry point.
"""
