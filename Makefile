# The two commands a new machine needs: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# uv may only use the registries reachable here; it never downloads an interpreter
export UV_PYTHON_DOWNLOADS := never
# the system trust store (registries behind a corporate or sandbox CA work as they do for pip)
export UV_SYSTEM_CERTS := 1
export GX_ANALYTICS_ENABLED := False
export DAGSTER_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1

.PHONY: install spark browser demo build test dev bench bench-l lint format clean

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: the installed packages' bytecode is written once, at install; a process that may not
# write it (PYTHONDONTWRITEBYTECODE, a read-only environment) would otherwise compile every module it
# imports from source again, seconds for each dbt, Dagster or test process
# the interpreter itself, not a wrapper (a pyenv shim): uv recreates the environment, and drops its stamps,
# whenever the interpreter asked for is not the one it was made with
INTERPRETER = "$$($(PYTHON) -c 'import sys; print(sys.executable)')"

# an environment with the Spark extra keeps it (its stamp is set again should uv have made it anew)
$(VENV)/.installed: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(INTERPRETER) $(if $(wildcard $(VENV)/.spark),--extra spark)
	@touch $@ $(wildcard $(VENV)/.spark)

# the Spark engine (docs/scale-out.md): Java 17 or newer (Debian's JRE, when the machine has none) and the
# project's `spark` extra (pyspark, dbt-spark); once installed, `make install` keeps the extra
spark: $(VENV)/.spark

$(VENV)/.spark: $(VENV)/.installed
	@java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq; \
		for jre in openjdk-17-jre-headless openjdk-21-jre-headless openjdk-25-jre-headless; do \
			apt-cache show $$jre >/dev/null 2>&1 && break; done; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$jre; }
	$(UV) sync --frozen --compile-bytecode --python $(INTERPRETER) --extra spark
	@touch $@

demo: install            ## generate the demo world (size s) and build the whole warehouse
	$(VENV)/bin/omni demo $(ARGS)

build: install           ## build from whatever is in data/landing
	$(VENV)/bin/omni build $(ARGS)

# one test process per core (at most 4): the processes share the generated and built worlds
# (tests/shared.py); tests that share an expensive module fixture stay in one process (xdist groups).
# The Spark tests (tests/test_spark.py: a world built on Spark and on DuckDB, every mart compared) need
# Java and the Spark extra, which `make spark` installs; SPARK=0 skips both: `make test SPARK=0`
TEST_PROCESSES ?= auto
SPARK ?= 1
test: install browser $(if $(filter 0,$(SPARK)),,spark)    ## the test suite (CI runs this)
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --maxprocesses 4 --dist loadgroup $(if $(filter 0,$(SPARK)),-m "not spark") $(ARGS)

# the report test opens the KPI dashboard in headless Chromium (Debian's package)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

dev: install             ## Dagster UI on the project (lineage graph, checks, schedule, sensor)
	$(VENV)/bin/omni dev $(ARGS)

bench: install spark     ## benchmark: generation, ingestion, stitching, full and incremental builds, Spark
	$(VENV)/bin/omni bench --incremental-sizes s,m --spark-sizes s $(ARGS)

# size l (1,000,000 people): the whole build through the Dagster job, timed per step with peak memory
# (long: run it on its own). DuckDB's limit and dbt's threads are those a machine of 24 GB needs to stay
# under 8 GB (docs/incremental.md, "Memory"); set them in the environment to change them. The world takes
# about 5 times the disk of size m (docs/incremental.md, "What a run costs").
bench-l: install
	OMNI_DUCKDB_MEMORY_LIMIT=$${OMNI_DUCKDB_MEMORY_LIMIT:-4GB} OMNI_DBT_THREADS=$${OMNI_DBT_THREADS:-2} \
		$(VENV)/bin/omni bench --sizes '' --ingest-sizes '' --stitch-sizes '' --build-sizes l $(ARGS)

# ruff (Python), import-linter (layers only point down, see docs/architecture.md), sqlfluff (the dbt
# project as dbt compiles it; an in-memory DuckDB is enough to template)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	cd dbt && OMNI_WAREHOUSE_PATH=:memory: ../$(VENV)/bin/sqlfluff lint models

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	cd dbt && OMNI_WAREHOUSE_PATH=:memory: ../$(VENV)/bin/sqlfluff fix models

clean:
	rm -rf data dbt/target dbt/logs .pytest_cache
