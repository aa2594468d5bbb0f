"""Households as connected components of profiles and the evidence they share
(int_identity__household_evidence), with scipy (omni.identity.stitch.components). One row per profile
that shares some evidence: its `component` and the `household` (a number) it belongs to."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.identity.stitch import components

    edges = dbt.ref("int_identity__household_evidence").project("component, evidence_id").fetch_arrow_table()
    profile = edges["component"].to_numpy().astype(np.int64)
    evidence_codes = np.unique(edges["evidence_id"].to_numpy(zero_copy_only=False), return_inverse=True)[1]
    profiles, profile_codes = np.unique(profile, return_inverse=True)
    n = len(profiles)
    labels = components(n + int(evidence_codes.max(initial=-1)) + 1, profile_codes, n + evidence_codes)
    return pa.table(
        {"component": pa.array(profiles, pa.int64()), "household": pa.array(labels[:n], pa.int64())}
    )
