"""Reference model configs (``benchmark/models/<name>.yaml``), overrides, and the config hash.

A config names a registered model (``model``), its hyperparameters (``params``), the training settings
(``training``), augmentation (``augment``), feature normalisation and, optionally, waveform preparation
(``audio``: crop and standardisation, for the published recipes). Overrides are nested dicts merged
on top (``{"training": {"epochs": 3}}``), and the fully resolved config of a run is hashed as
``sha256:<hex>`` over its canonical JSON (sorted keys, no whitespace, UTF-8), so two results with the
same hash were produced by the same settings.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from ..assets import asset_dir
from ..errors import ConfigError, UnknownLabelError

DEFAULTS: dict[str, Any] = {
    "params": {},
    "training": {"epochs": 30, "batch_size": 16, "eval_batch_size": 32, "lr": 1e-3, "upstream_lr": 5e-5,
                 "weight_decay": 1e-2, "patience": 8, "grad_clip": 5.0, "seed": 0, "min_epochs": 1},
    "augment": {"speed": [1.0], "specaugment": None},
    "normalise": True,
    "upstream": {"spec": "fbank", "options": {}},
    "bootstrap": {"resamples": 1000, "seed": 0},
}
# ``audio`` (waveform preparation, see data.WavePrep) is a section without defaults, like the optional
# training settings below: a config that leaves it out resolves (and hashes) as before it existed
OPTIONAL_SECTIONS = ("audio",)
SECTIONS = ("model", "description", *DEFAULTS, *OPTIONAL_SECTIONS)
# training settings valid without an entry in DEFAULTS (their default is TrainConfig's): a config that
# leaves them out resolves (and hashes) exactly as it did before they existed, so earlier results keep
# their config hash
OPTIONAL_TRAINING = ("refit", "grad_accum", "mixed_precision", "train_rows", "clip_test")
AUDIO_SETTINGS = ("max_seconds", "standardise")


def model_config_dir() -> Path:
    return asset_dir("benchmark", "models")


def list_model_configs() -> list[str]:
    return sorted(p.stem for p in model_config_dir().glob("*.yaml"))


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def load_model_config(name_or_path: str | Path, overrides: dict | None = None) -> dict:
    """The resolved config of a model config file, or of a bare registered model name."""
    from .models import model_names

    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = model_config_dir() / f"{name_or_path}.yaml"
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", file=path) from exc
        name = path.stem
    elif str(name_or_path) in model_names():
        data, name = {"model": str(name_or_path)}, str(name_or_path)
    else:
        raise UnknownLabelError("model", str(name_or_path), sorted(set(list_model_configs()) | set(model_names())),
                                hint="run `seqd bench list` for the model configs")
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"unknown sections {sorted(unknown)}; valid: {list(SECTIONS)}", file=path)
    cfg = deep_merge(DEFAULTS, {k: v for k, v in data.items() if k != "description"})
    cfg = deep_merge(cfg, overrides or {})
    cfg["name"] = name
    if "model" not in cfg:
        raise ConfigError("a model config must name its registered model (`model:`)", file=path)
    valid_train = set(DEFAULTS["training"]) | set(OPTIONAL_TRAINING)
    unknown_train = set(cfg["training"]) - valid_train
    if unknown_train:
        raise ConfigError(f"unknown training settings {sorted(unknown_train)}; valid: "
                          f"{sorted(valid_train)}", file=path)
    from ..typed import check_flat_record
    from .train import TrainConfig

    check_flat_record(TrainConfig, cfg["training"], file=path if path.is_file() else None,
                      what=f"model config {name!r}: training")
    unknown_audio = set(cfg.get("audio") or {}) - set(AUDIO_SETTINGS)
    if unknown_audio:
        raise ConfigError(f"unknown audio settings {sorted(unknown_audio)}; valid: {list(AUDIO_SETTINGS)}",
                          file=path)
    _check_params(cfg, path if path.is_file() else None)
    return cfg


def _check_params(cfg: dict, path: Path | None) -> None:
    """A model's ``params`` are its constructor's keyword arguments: a misspelt one is refused here,
    naming the valid ones, instead of failing as a TypeError when the first fold starts."""
    import inspect

    from .models import get_model_class

    accepted = [p for p in inspect.signature(get_model_class(cfg["model"]).__init__).parameters.values()
                if p.name not in ("self", "spec")]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted):
        return
    valid = sorted(p.name for p in accepted)
    unknown = sorted(set(cfg.get("params") or {}) - set(valid))
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], valid, n=1)
        raise ConfigError(f"unknown params {unknown} for model {cfg['model']!r}; valid: {', '.join(valid)}",
                          file=path, hint=f"did you mean {close[0]!r}?" if close else None)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def config_hash(cfg: dict) -> str:
    """Hash of the effective config: runtime options (feature cache, threads) are left out, so that
    recording them never changes it (:func:`~seqd_builder.benchmark.provenance.effective_config`)."""
    from .provenance import effective_config

    return "sha256:" + hashlib.sha256(canonical_json(effective_config(cfg)).encode("utf-8")).hexdigest()
