"""Identity stitching (the connected-components step used by dbt model int_identity__components) and
its evaluation against the generator's answer key."""
