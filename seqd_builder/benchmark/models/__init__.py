"""Reference models, looked up by name in a registry (never through ``eval``).

Each model lives in its own module and registers itself with :func:`register`; the benchmark's model
configs (``benchmark/models/<name>.yaml``) name a registered model and its hyperparameters.
"""

from __future__ import annotations

import importlib

from ...errors import UnknownLabelError

MODELS: dict[str, type] = {}
_MODULES = ("baseline", "speecheq", "emosphere")


def register(name: str):
    def deco(cls):
        MODELS[name] = cls
        return cls
    return deco


def model_names() -> list[str]:
    _load_all()
    return sorted(MODELS)


def get_model_class(name: str) -> type:
    _load_all()
    if name not in MODELS:
        raise UnknownLabelError("model", name, MODELS, hint="run `seqd bench list` for the models")
    return MODELS[name]


def _load_all() -> None:
    for mod in _MODULES:
        importlib.import_module(f"{__name__}.{mod}")
