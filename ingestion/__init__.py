"""dlt sources, one package per channel, and the pipeline that loads them into the raw layer."""

from omni.settings import SOURCE_NAMES

__all__ = ["SOURCE_NAMES"]
