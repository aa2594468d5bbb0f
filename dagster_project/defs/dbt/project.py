"""The dbt project as Dagster sees it. Kept apart from @dbt_assets so the manifest can be prepared
first (`dagster dev` does it through prepare_if_dev; `omni build` and the tests call `prepare`)."""

from dagster_dbt import DbtCliResource, DbtProject

from omni.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def prepare_manifest() -> None:
    """Parse the dbt project (manifest.json) unless it is already there and newer than the sources."""
    manifest = dbt_project.manifest_path
    if manifest.exists():
        newest = max(p.stat().st_mtime for p in DBT_PROJECT_DIR.rglob("*")
                     if p.suffix in {".sql", ".yml", ".csv"} and "target" not in p.parts)
        if manifest.stat().st_mtime >= newest:
            return
    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    dbt.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
