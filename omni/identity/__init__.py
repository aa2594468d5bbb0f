"""Identity stitching: the deterministic stage (omni.identity.stitch, dbt model
int_identity__deterministic_components), the probabilistic stage (omni.identity.probabilistic, Splink)
and the evaluation of both against the generator's answer key."""
