import os
from pathlib import Path

import pytest

from seqd_builder.testing import shared_data_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = shared_data_dir()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real corpus material not found at {SHARED}; set SEQD_SHARED_DATA")
    return SHARED


@pytest.fixture()
def wav(shared_data, tmp_path) -> Path:
    """One real 16 kHz wav (EmoDB) that every file of a test tree can link to."""
    import shutil

    out = tmp_path / "one.wav"
    shutil.copy(next((shared_data / "audio" / "emodb" / "wav").glob("*.wav")), out)
    return out


@pytest.fixture(scope="session")
def emodb_built(shared_data, tmp_path_factory) -> Path:
    """The whole real EmoDB built once per test process into a dataset folder; tests read it and write
    their outputs elsewhere."""
    from seqd_builder.pipeline import build
    from seqd_builder.testing import make_emodb_tree

    root = tmp_path_factory.mktemp("emodb-built")
    make_emodb_tree(root / "src")
    build(["emodb"], root / "emodb-hf", root=root / "src", progress=False)
    return root / "emodb-hf"
