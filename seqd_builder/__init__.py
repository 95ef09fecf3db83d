"""seqd-builder: speech emotion recognition corpora in one multi-scale schema.

Library API (the ``seqd`` command is a thin layer over it)::

    from seqd_builder import build, load_card, FEATURES
    report = build(["ravdess"], roots={"ravdess": "/data/RAVDESS"}, out="ravdess-hf")
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqd-builder")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+checkout"

from .errors import SeqdError  # noqa: E402

__all__ = ["FEATURES", "RawItem", "Rejection", "SeqdError", "Utterance", "Vote", "__version__",
           "build", "get_adapter", "load_card"]


def __getattr__(name):
    # Heavy sub-systems (the schema imports `datasets`) load on first use, so `import seqd_builder`
    # and `seqd --help` stay fast.
    if name in ("FEATURES", "RawItem", "Rejection", "Utterance", "Vote"):
        from . import schema
        return getattr(schema, name)
    if name == "build":
        from .pipeline import build
        return build
    if name in ("load_card", "get_adapter"):
        from . import corpora
        return getattr(corpora, name)
    raise AttributeError(name)
