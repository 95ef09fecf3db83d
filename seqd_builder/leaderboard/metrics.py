"""How the leaderboard shows each metric (label, title, percent or plain), read from
``leaderboard/metrics.yaml``, with direction and range checked against the metric registry.

The registry (:data:`seqd_builder.benchmark.metrics.METRICS`) is the one home of metric names, which
way is better and the valid range; the YAML adds the presentation and repeats direction and range so a
reader of the file sees them. Loading refuses a YAML entry that the registry lacks or contradicts, and
a registered metric the YAML lacks, so validation (range checks), ranking (sort direction) and
rendering can never disagree with the scoring code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..assets import asset_dir
from ..errors import ConfigError

DIRECTIONS = ("higher", "lower")
DISPLAYS = ("percent", "plain")


@dataclass(frozen=True)
class MetricSpec:
    """One metric: ``direction`` says which value is better, ``low``/``high`` bound valid values."""

    name: str
    label: str
    title: str
    direction: str
    low: float | None
    high: float | None
    display: str = "plain"

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"metric {self.name!r}: direction {self.direction!r}; valid: "
                              f"{', '.join(DIRECTIONS)}", file=metrics_file())
        if self.display not in DISPLAYS:
            raise ConfigError(f"metric {self.name!r}: display {self.display!r}; valid: "
                              f"{', '.join(DISPLAYS)}", file=metrics_file())
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ConfigError(f"metric {self.name!r}: range [{self.low}, {self.high}] is empty",
                              file=metrics_file())

    @property
    def arrow(self) -> str:
        return "↑" if self.direction == "higher" else "↓"

    @property
    def range_text(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"[{low}, {high}]"

    def in_range(self, value: float) -> bool:
        return (math.isfinite(value)
                and (self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))

    def better_first(self, value: float) -> float:
        """A sort key that puts the better value first in an ascending sort."""
        return -value if self.direction == "higher" else value

    def format(self, value: float | None) -> str:
        if value is None:
            return "–"
        if self.display == "percent":
            return f"{100 * value:.1f}"
        return f"{value:.3f}"

    def format_ci(self, ci: list[float] | tuple[float, float] | None) -> str:
        if not ci:
            return ""
        return f"[{self.format(ci[0])}, {self.format(ci[1])}]"

    def format_std(self, std: float | None) -> str:
        if std is None:
            return ""
        return self.format(std)


def metrics_file() -> Path:
    return asset_dir("leaderboard") / "metrics.yaml"


@lru_cache(maxsize=1)
def load_metrics() -> dict[str, MetricSpec]:
    """Every declared metric by name, in file order (the order of columns after the primary)."""
    path = metrics_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the metric declarations: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of metric name to declaration", file=path)
    specs = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"metric {name!r}: expected a mapping", file=path)
        unknown = set(entry) - {"label", "title", "direction", "range", "display"}
        if unknown:
            raise ConfigError(f"metric {name!r}: unknown fields {sorted(unknown)}; valid: "
                              "label, title, direction, range, display", file=path)
        try:
            low, high = entry["range"]
            specs[name] = MetricSpec(name=name, label=str(entry.get("label", name)),
                                     title=str(entry.get("title", "")), direction=entry["direction"],
                                     low=None if low is None else float(low),
                                     high=None if high is None else float(high),
                                     display=entry.get("display", "plain"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"metric {name!r}: needs direction and range [low, high] ({exc})",
                              file=path) from exc
    _check_registry(specs, path)
    return specs


def _check_registry(specs: dict[str, MetricSpec], path: Path) -> None:
    from ..benchmark.metrics import METRICS

    problems = [f"{n}: not a registered metric" for n in specs if n not in METRICS]
    problems += [f"{n}: registered but not declared here" for n in METRICS if n not in specs]
    for name, spec in specs.items():
        reg = METRICS.get(name)
        if reg is not None and (spec.direction, spec.low, spec.high) != (reg.direction, reg.low, reg.high):
            problems.append(f"{name}: direction/range {spec.direction} {spec.range_text} differ from the "
                            f"registry's {reg.direction} [{reg.low}, {reg.high}]")
    if problems:
        raise ConfigError("the metric declarations disagree with seqd_builder/benchmark/metrics.py: "
                          + "; ".join(problems), file=path)


def primary_summary(results: dict, *, ci: bool = True) -> str:
    """``UA = 37.5 % (95% CI 33.1–41.9 %)``: a results.json's primary metric for people.

    Shown as the leaderboard shows it (``display`` in metrics.yaml: accuracies and F1 in percent with
    one decimal, CCC as a coefficient), so the number a command prints is the one the pages print;
    results.json and every ``--json`` output keep fractions.
    """
    prim = results["primary_metric"]
    summary = results["metrics"].get(prim, {})
    spec = load_metrics().get(prim)
    mean, interval = summary.get("mean"), summary.get("ci95") if ci else None
    if spec is None:  # a metric the leaderboard does not declare: the raw value
        return f"{prim} = {mean}" + (f" (95% CI {interval[0]:.4f}–{interval[1]:.4f})" if interval else "")
    unit = " %" if spec.display == "percent" else ""
    return (f"{spec.label} = {spec.format(mean)}{unit}"
            + (f" (95% CI {spec.format(interval[0])}–{spec.format(interval[1])}{unit})" if interval else ""))
