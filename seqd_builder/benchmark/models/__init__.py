"""Reference models, looked up by name in a registry (never through ``eval``).

Each model lives in its own module and registers itself with :func:`register`; the benchmark's model
configs (``benchmark/models/<name>.yaml``) name a registered model and its hyperparameters. Models of
other packages register through the ``seqd_builder.models`` entry-point group (see
:mod:`seqd_builder.registry`).
"""

from __future__ import annotations

from ...registry import Registry

MODELS: Registry[type] = Registry("model", package=__name__, group="seqd_builder.models",
                                  skip=("base", "layers"), hint="run `seqd bench list` for the models")


def register(name: str):
    """Class decorator: make a model available to model configs as ``model: <name>``."""

    def deco(cls):
        cls.name = name
        return MODELS.register(name)(cls)

    return deco


def model_names() -> list[str]:
    return MODELS.names()


def get_model_class(name: str) -> type:
    return MODELS.get(name)
