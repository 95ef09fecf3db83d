"""The streaming build pipeline (adapter → normalise → checks → parquet shards → dataset folder)."""

from .stream import BuildReport, ConfigReport, build, build_config

__all__ = ["BuildReport", "ConfigReport", "build", "build_config"]
