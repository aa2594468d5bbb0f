"""The omnichannel customer data warehouse's library (README.md, docs/architecture.md)."""

import warnings

# pyspark (the Spark extra) warns at every import of its pandas helpers that it is not tested with pandas 3;
# the warehouse hands it Arrow tables, and Great Expectations imports it whenever it is installed
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
