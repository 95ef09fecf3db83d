import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("SEQD_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real corpus material not found at {SHARED}; set SEQD_SHARED_DATA")
    return SHARED
