"""The streaming build pipeline (adapter → normalise → checks → parquet shards → dataset folder)."""

from .pipeline import BuildReport, ConfigReport, build, build_config

__all__ = ["BuildReport", "ConfigReport", "build", "build_config"]
